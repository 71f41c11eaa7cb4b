# Second teacher of the built-in detection demo: mmdet's stock SSDLite
# (MobileNetV2 backbone, SSD neck/head), from scratch on the generated shapes
# at 128 px. Only sizes change; the detector code is stock mmdet.
_base_ = [
    'mmdet::ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py',
    '../_base_/datasets/shapes_coco.py',
]

model = dict(
    # half width (mmdet keeps the last 1x1 conv at 1280 channels)
    backbone=dict(widen_factor=0.5),
    neck=dict(
        in_channels=(48, 1280), out_channels=(48, 1280, 256, 128, 128, 64)),
    bbox_head=dict(
        num_classes=3,
        in_channels=(48, 1280, 256, 128, 128, 64),
        # 128 px input: feature maps 8, 4, 2, 1, 1, 1 -> these strides, and
        # anchors sized for the 16..48 px objects
        anchor_generator=dict(
            strides=[16, 32, 64, 128, 128, 128],
            min_sizes=[16, 28, 48, 72, 96, 112],
            max_sizes=[28, 48, 72, 96, 112, 128])))

train_dataloader = {{_base_.shapes_train_dataloader}}
val_dataloader = {{_base_.shapes_val_dataloader}}
test_dataloader = {{_base_.shapes_test_dataloader}}
val_evaluator = {{_base_.shapes_val_evaluator}}
test_evaluator = {{_base_.shapes_test_evaluator}}

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=4)
optim_wrapper = dict(
    _delete_=True,
    # AdamW trains the from-scratch detector far faster than the stock SGD
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        T_max=max_epochs)
]
# Exported subnets (work_dir/subnets/*.py) inherit this config: the fit hook
# refuses, before the first step, a searched backbone whose outputs no longer
# fit the neck/head; the stock config's two checks stay.
custom_imports = dict(
    imports=['mmdonna.detection'], allow_failed_imports=False)
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
    dict(type='mmdonna.DetectorFitHook', input_shape=(3, 128, 128))
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=4, max_keep_ckpts=1),
    visualization=dict(draw=False))
auto_scale_lr = dict(enable=False)
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
