# Teacher for the built-in detection demo: mmdet's stock RetinaNet-R18
# config, trained from scratch on the generated shapes (no download) at
# 128 px on CPU. Only sizes change; the detector code is stock mmdet.
_base_ = [
    'mmdet::retinanet/retinanet_r18_fpn_1x_coco.py',
    '../_base_/datasets/shapes_coco.py',
]

model = dict(
    backbone=dict(
        # half-width ResNet-18 (32..256 channels): the shapes need little
        # capacity and 2 CPU cores train it in minutes
        base_channels=32,
        # from scratch: no frozen stem, BN statistics are learnt
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
    bbox_head=dict(
        num_classes=3,
        in_channels=64,
        feat_channels=64,
        stacked_convs=2,
        # objects are 16..48 px: anchors of 16 px on P3 instead of 32 px
        anchor_generator=dict(octave_base_scale=2)))

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
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=max_epochs)
]
# Exported subnets (work_dir/subnets/*.py) inherit this config: the hook
# refuses, before the first step, a searched backbone whose outputs no longer
# fit the neck/head, with a one-line error naming the config key.
custom_imports = dict(
    imports=['mmdonna.detection'], allow_failed_imports=False)
custom_hooks = [
    dict(type='mmdonna.DetectorFitHook', input_shape=(3, 128, 128))
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=4, max_keep_ckpts=1),
    visualization=dict(draw=False))
# CPU: gloo for multi-process runs under MMEngine's launcher
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
