# DONNAv2 search over mmpretrain's ImageNet MobileNetV2 (real data, see
# mobilenetv2_imagenet_bkd.py for the layout and the teacher weights).
_base_ = [
    './mobilenetv2_imagenet_bkd.py',
    '../_base_/latency/host_ort.py',
]
bkd_train_cfg = {{_base_.train_cfg}}
bkd_param_scheduler = {{_base_.param_scheduler}}
bkd_custom_hooks = {{_base_.custom_hooks}}
custom_hooks = []
param_scheduler = None
surrogate = dict(type='mmdonna.BlockLossSum', normalize='mean')
kd_filter = dict(type='mmdonna.KDFilter', slack=0.05, min_keep=2)
train_cfg = dict(
    _delete_=True,
    type='mmdonna.DonnaSearchLoop',
    pop_size=64,
    n_gen=60,
    seed=0,
    operators='ordinal',
    constraints=None,
    hardware_in_the_loop=True,
    num_random_samples=1000)
# KD finetuning of exported subnets, shorter than training from scratch
finetune = dict(
    train_cfg=dict(by_epoch=True, max_epochs=30, val_interval=5),
    param_scheduler=dict(type='CosineAnnealingLR', by_epoch=True, T_max=30))
finetune_front = dict(num=1, metric='accuracy/top1')
