# The EDSR x2 teacher on real data: DIV2K sub-images for training, Set5 for
# validation (mmagic's standard layout, see ../_base_/datasets/div2k_sr.py).
# Same model as edsr_skimage-x2_teacher.py; drop its generator override
# (model.generator) for the stock 64-channel, 16-block EDSR.
_base_ = [
    './edsr_skimage-x2_teacher.py',
    '../_base_/datasets/div2k_sr.py',
]
train_dataloader = dict(_delete_=True, **_base_.div2k_sr_train_dataloader)
val_dataloader = dict(_delete_=True, **_base_.div2k_sr_val_dataloader)
val_evaluator = dict(_delete_=True, **_base_.div2k_sr_val_evaluator)
test_dataloader = val_dataloader
test_evaluator = val_evaluator

# a real schedule (stock: 300k iterations at lr 1e-4)
train_cfg = dict(max_iters=100000, val_interval=5000)
param_scheduler = dict(T_max=100000)
default_hooks = dict(checkpoint=dict(interval=5000))
