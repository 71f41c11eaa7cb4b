# Built-in Gaussian denoising data (sigma 25 on the 0..255 scale, the middle
# of the usual 15/25/50 benchmarks): clean patches cut from the images
# scikit-image ships plus fixed-seed noise; see
# mmdonna.datasets.ImagePatchDataset. No download. Names are prefixed so this
# file can sit next to a stock mmagic config in `_base_` (see skimage_sr.py).
skimage_denoising_dataset = dict(
    type='mmdonna.ImagePatchDataset',
    task='denoising',
    sigma=25,
    # 32x32: NAFNet halves the resolution twice; ~1,100 training patches
    patch_size=32,
    images=[
        'astronaut', 'coffee', 'chelsea', 'camera', 'rocket',
        'immunohistochemistry'
    ])
skimage_denoising_train_pipeline = [
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
skimage_denoising_val_pipeline = [dict(type='PackInputs')]
skimage_denoising_train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        **skimage_denoising_dataset,
        split='train',
        pipeline=skimage_denoising_train_pipeline))
skimage_denoising_val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **skimage_denoising_dataset,
        split='val',
        pipeline=skimage_denoising_val_pipeline))
skimage_denoising_val_evaluator = dict(
    type='Evaluator', metrics=[dict(type='PSNR'),
                               dict(type='SSIM')])
