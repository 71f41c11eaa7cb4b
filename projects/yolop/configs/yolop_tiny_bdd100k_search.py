# DONNA on YOLOP-tiny with real BDD100K (yolop_tiny_bdd100k_teacher.py; the
# layout is in ./_base_/datasets/bdd100k.py), at YOLOP's 640x384 input.
#   python tools/search.py projects/yolop/configs/yolop_tiny_bdd100k_search.py
_base_ = ['./yolop_tiny_bdd100k_teacher.py']

donna = dict(
    blocks=[
        dict(path='backbone.stage1', options='mbconv'),
        dict(path='backbone.stage2', options='diverse'),
        dict(path='backbone.stage3', options='diverse'),
        dict(path='backbone.stage4', options='mbconv'),
    ],
    input_shape=(3, 384, 640),
    # ~a third of an epoch of the 70k frames at batch 24
    bkd=dict(iters=1000, lr=2e-3, num_sampled=3),
    surrogate=dict(normalize='mean'),
    finetune=dict(
        epochs=24,
        lr=5e-4,
        metric='yolop/det_mAP50',
        distill=[
            dict(
                student=f'neck.out_convs.{i}',
                teacher=f'neck.out_convs.{i}',
                loss=dict(type='mmdonna.NSRLoss', loss_weight=0.3))
            for i in range(3)
        ]),
)
