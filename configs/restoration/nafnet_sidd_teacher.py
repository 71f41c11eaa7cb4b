# The NAFNet denoising teacher on real noise: SIDD (mmagic's standard
# layout, see ../_base_/datasets/sidd_denoising.py). Same model as
# nafnet_skimage-sigma25_teacher.py; drop its generator override
# (model.generator) for the stock 64-channel NAFNet.
_base_ = [
    './nafnet_skimage-sigma25_teacher.py',
    '../_base_/datasets/sidd_denoising.py',
]
train_dataloader = dict(_delete_=True, **_base_.sidd_train_dataloader)
val_dataloader = dict(_delete_=True, **_base_.sidd_val_dataloader)
val_evaluator = dict(_delete_=True, **_base_.sidd_val_evaluator)
test_dataloader = val_dataloader
test_evaluator = val_evaluator

# a real schedule (stock: 400k iterations)
train_cfg = dict(max_iters=100000, val_interval=5000)
param_scheduler = dict(T_max=100000)
default_hooks = dict(checkpoint=dict(interval=5000))
