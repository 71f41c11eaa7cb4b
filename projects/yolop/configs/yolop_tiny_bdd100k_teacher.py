# YOLOP-tiny on the real BDD100K in YOLOP's layout under data/bdd100k/ (see
# projects/yolop/README.md for the download), at YOLOP's 640x384 input:
#   python tools/train.py projects/yolop/configs/yolop_tiny_bdd100k_teacher.py
# The search on it: yolop_tiny_bdd100k_search.py (this config plus a donna
# section).
_base_ = [
    'mmdet::_base_/default_runtime.py',
    './_base_/models/yolop_tiny.py',
    './_base_/datasets/bdd100k.py',
]

custom_imports = dict(
    imports=['projects.yolop.yolop', 'mmdonna.detection'],
    allow_failed_imports=False)

# YOLOP's schedule: 240 epochs, warm-up, cosine decay
max_epochs = 240
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=5e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=3,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=max_epochs)
]
custom_hooks = [
    dict(type='mmdonna.DetectorFitHook', input_shape=(3, 384, 640))
]
default_hooks = dict(
    checkpoint=dict(interval=10, max_keep_ckpts=3),
    visualization=dict(draw=False))
randomness = dict(seed=0)
auto_scale_lr = dict(enable=False, base_batch_size=24)
