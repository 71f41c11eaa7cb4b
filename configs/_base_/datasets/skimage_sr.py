# Built-in x2 super-resolution data: ground-truth patches cut from the images
# scikit-image ships, inputs downsampled with MATLAB-style bicubic (as DIV2K's
# LR images are); see mmdonna.datasets.ImagePatchDataset. No download.
# Names are prefixed so this file can sit next to a stock mmagic config in
# `_base_` (mmengine forbids duplicate keys among bases); a config picks them
# up with e.g. `train_dataloader = dict(_delete_=True,
# **_base_.skimage_sr_train_dataloader)`.
skimage_sr_dataset = dict(
    type='mmdonna.ImagePatchDataset',
    task='sisr',
    scale=2,
    # 48x48 ground truth (24x24 inputs): small enough for CPU training, big
    # enough for a 3x3 body of several blocks to see context
    patch_size=48,
    images=[
        'astronaut', 'coffee', 'chelsea', 'camera', 'rocket',
        'immunohistochemistry'
    ])
skimage_sr_train_pipeline = [
    dict(
        type='Flip',
        keys=['img', 'gt'],
        flip_ratio=0.5,
        direction='horizontal'),
    dict(
        type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='vertical'),
    dict(type='RandomTransposeHW', keys=['img', 'gt'], transpose_ratio=0.5),
    dict(type='PackInputs'),
]
skimage_sr_val_pipeline = [dict(type='PackInputs')]
skimage_sr_train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        **skimage_sr_dataset,
        split='train',
        pipeline=skimage_sr_train_pipeline))
skimage_sr_val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **skimage_sr_dataset, split='val', pipeline=skimage_sr_val_pipeline))
skimage_sr_val_evaluator = dict(
    type='Evaluator',
    metrics=[
        dict(type='PSNR', crop_border=2),
        dict(type='SSIM', crop_border=2),
    ])
