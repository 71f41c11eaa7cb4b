# Denoising teacher: the stock mmagic NAFNet (SIDD) config, shrunk so it
# trains in a few CPU minutes on the built-in Gaussian-noise patches. NAFNet
# rather than Restormer/SwinIR: it is mmagic's lightest denoiser, its blocks
# (LayerNorm, depthwise conv, simple gate, channel attention) export to ONNX,
# and its U-shape gives cut points at three resolutions.
_base_ = [
    'mmagic::nafnet/nafnet_c64eb2248mb12db2222_8xb8-lr1e-3-400k_sidd.py',
    '../_base_/datasets/skimage_denoising.py',
]
work_dir = None
experiment_name = None

# 16 channels, one block per stage (stock: 64 channels, [2, 2, 4, 8] encoder
# and 12 middle blocks). Cut points: generator.encoders.0 (16 ch, full
# resolution), encoders.1 (32, 1/2), middle_blks (64, 1/4), decoders.0 (32,
# 1/2), decoders.1 (16, full).
model = dict(
    generator=dict(
        mid_channels=16,
        enc_blk_nums=[1, 1],
        middle_blk_num=1,
        dec_blk_nums=[1, 1]))

train_dataloader = dict(
    _delete_=True, **_base_.skimage_denoising_train_dataloader)
val_dataloader = dict(_delete_=True, **_base_.skimage_denoising_val_dataloader)
val_evaluator = dict(_delete_=True, **_base_.skimage_denoising_val_evaluator)
test_dataloader = val_dataloader
test_evaluator = val_evaluator

max_iters = 1500
train_cfg = dict(max_iters=max_iters, val_interval=500)
# stock AdamW 1e-3 with cosine decay, over a short schedule
param_scheduler = dict(T_max=max_iters)
default_hooks = dict(
    logger=dict(interval=100),
    # no save_best: a validation-only run (the search pipeline evaluates the
    # teacher) would make MMEngine's CheckpointHook save a best checkpoint it
    # has no file backend for yet
    checkpoint=dict(
        _delete_=True,
        type='CheckpointHook',
        by_epoch=False,
        interval=500,
        max_keep_ckpts=1))
custom_hooks = []
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
