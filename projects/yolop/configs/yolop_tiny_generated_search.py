# DONNA on the YOLOP-tiny encoder (yolop_tiny_generated_teacher.py,
# unchanged) on the generated road scenes: latency = LUT of the encoder
# options + the measured fixed part (stem + YOLOXPAFPN + detection head +
# both segmentation heads at 160x96, no NMS); KD finetuning of a front model,
# evaluated next to the teacher. From nothing:
#   python tools/search.py projects/yolop/configs/yolop_tiny_generated_search.py
_base_ = ['./yolop_tiny_generated_teacher.py']

donna = dict(
    blocks=[
        dict(path='backbone.stage1', options='mbconv'),
        dict(path='backbone.stage2', options='diverse'),
        dict(path='backbone.stage3', options='diverse'),
        # stage4 holds the SPP block: a plain option replaces it all
        dict(path='backbone.stage4', options='mbconv'),
    ],
    # the real input (h, w): block shapes, LUT shapes and the fixed part
    input_shape=(3, 96, 160),
    bkd=dict(epochs=6, lr=2e-3, num_sampled=3),
    surrogate=dict(normalize='mean'),
    finetune=dict(
        # the encoder starts from BKD and the rest from the teacher: a short
        # run at half the teacher's AdamW rate
        epochs=12,
        lr=1e-3,
        metric='yolop/det_mAP50',
        # the three PAFPN levels; 0.3 each keeps the feature term ~ one task
        # loss
        distill=[
            dict(
                student=f'neck.out_convs.{i}',
                teacher=f'neck.out_convs.{i}',
                loss=dict(type='mmdonna.NSRLoss', loss_weight=0.3))
            for i in range(3)
        ]),
)
