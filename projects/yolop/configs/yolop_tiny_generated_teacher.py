# Teacher of the YOLOP DONNA demo: YOLOP-tiny (CSPDarknet + YOLOXPAFPN +
# YOLOXHead + drivable-area and lane-line heads) trained from scratch on the
# generated road scenes (160x96, no download) on CPU:
#   python tools/train.py \
#       projects/yolop/configs/yolop_tiny_generated_teacher.py
_base_ = [
    'mmdet::_base_/default_runtime.py',
    './_base_/models/yolop_tiny.py',
    './_base_/datasets/bdd100k_generated.py',
]

# the project's model/dataset/metric (registered into mmdonna's registries)
# and the detector-fit check below
custom_imports = dict(
    imports=['projects.yolop.yolop', 'mmdonna.detection'],
    allow_failed_imports=False)

max_epochs = 30
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    # AdamW trains the from-scratch multi-task net far faster than YOLOP's
    # SGD on a schedule this short
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=5e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=60),
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=max_epochs)
]
# Exported subnets (work_dir/subnets/*.py) inherit this config: the hook
# refuses, before the first step, a searched encoder whose outputs no longer
# fit the neck, with a one-line error naming the config key.
custom_hooks = [dict(type='mmdonna.DetectorFitHook', input_shape=(3, 96, 160))]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=10, max_keep_ckpts=1),
    visualization=dict(draw=False))
# CPU: gloo for multi-process runs under MMEngine's launcher
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
auto_scale_lr = dict(enable=False, base_batch_size=16)
