# DONNAv2 search of the RetinaNet-R18 backbone on real COCO: whole-detector
# latency at 640 x 640 (LUT of the backbone options + the measured FPN and
# RetinaHead), block-loss sum from BKD on COCO.
#   python tools/search.py configs/detection/retinanet_r18_coco_search.py
_base_ = ['./retinanet_r18_coco_bkd.py']

teacher_cfg_options = dict()
bkd_train_cfg = {{_base_.train_cfg}}
bkd_param_scheduler = {{_base_.param_scheduler}}
bkd_custom_hooks = {{_base_.custom_hooks}}
custom_hooks = []
param_scheduler = None

surrogate = dict(type='mmdonna.BlockLossSum', normalize='mean')
kd_filter = dict(
    type='mmdonna.KDFilter',
    slack=0.05,
    min_keep=2,
    max_cost_ratio=dict(params=2.0))
train_cfg = dict(
    _delete_=True,
    type='mmdonna.DonnaSearchLoop',
    pop_size=64,
    n_gen=60,
    seed=0,
    operators='ordinal',
    # e.g. dict(latency_ms=60.0): the bound is on the whole detector
    constraints=None,
    hardware_in_the_loop=True,
    num_random_samples=1000)

# Exported subnets finetune with mmdet's 1x schedule shortened to 6 epochs:
# the backbone starts from BKD, FPN and head from the teacher, and the
# teacher's FPN outputs are distilled into the student's.
finetune = dict(
    distill=[
        dict(
            student=f'neck.fpn_convs.{i}',
            teacher=f'neck.fpn_convs.{i}',
            loss=dict(type='mmdonna.NSRLoss', loss_weight=0.2))
        for i in range(5)
    ],
    train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=6, val_interval=1),
    param_scheduler=[
        dict(
            type='LinearLR',
            start_factor=0.001,
            by_epoch=False,
            begin=0,
            end=500),
        dict(type='CosineAnnealingLR', by_epoch=True, T_max=6)
    ])
# tools/search.py finetunes this many front detectors (spread over the
# front) and evaluates them and the teacher with mmdet's CocoMetric
finetune_front = dict(num=1, metric='coco/bbox_mAP')
