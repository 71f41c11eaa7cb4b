# Teacher for the built-in demo: an mmpretrain MobileNetV2 (stock config)
# trained on the upscaled scikit-learn digits in a few CPU minutes.
_base_ = [
    'mmpretrain::_base_/models/mobilenet_v2_1x.py',
    '../_base_/datasets/digits.py',
    'mmpretrain::_base_/default_runtime.py',
]

model = dict(
    # widen 0.5: the digits need little capacity and 2 CPU cores train it fast
    backbone=dict(widen_factor=0.5),
    head=dict(num_classes=10, in_channels=1280, topk=(1, )))

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=3e-3, weight_decay=1e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=12)
train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=4)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=4, max_keep_ckpts=1))
# CPU: gloo for multi-process runs under MMEngine's launcher
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
