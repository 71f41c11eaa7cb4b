# DONNA on real COCO: the RetinaNet-R18 of retinanet_r18_coco_teacher.py
# (mmdet's stock config, fixed 640 x 640 input), backbone searched, with
# mmdet's trained weights downloaded once by the user:
# https://download.openmmlab.com/mmdetection/v2.0/retinanet/
# retinanet_r18_fpn_1x_coco/retinanet_r18_fpn_1x_coco_20220407_171055-614fd399.pth
#   python tools/search.py configs/detection/retinanet_r18_coco_search.py
_base_ = ['./retinanet_r18_coco_teacher.py']

donna = dict(
    blocks=[f'backbone.layer{i}' for i in range(1, 5)],
    # no attention options at 640 px: 80x80 = 6400 tokens in layer2 make
    # them far slower than any convolution on a CPU/phone
    options='mbconv',
    input_shape=(3, 640, 640),
    teacher_checkpoint=(
        'checkpoints/retinanet_r18_fpn_1x_coco_20220407_171055-614fd399.pth'),
    # BKD needs far fewer steps than detection training: a fraction of an
    # epoch (8 images per step) already ranks the options; held-out NSRs on
    # 500 val2017 images
    bkd=dict(
        iters=20000,
        num_sampled=3,
        train_dataloader=dict(batch_size=8, num_workers=4),
        library_dataloader=dict(batch_size=8, dataset=dict(indices=500))),
    surrogate=dict(normalize='mean'),
    # mmdet's 1x schedule shortened to 6 epochs: the backbone starts from
    # BKD, FPN and head from the teacher; the FPN levels are distilled
    finetune=dict(epochs=6),
)
