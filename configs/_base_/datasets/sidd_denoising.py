# Real-noise denoising data in mmagic's standard layout (as the stock
# configs/nafnet/nafnet_c64eb2248mb12db2222_8xb8-lr1e-3-400k_sidd.py), read
# by mmagic's BasicImageDataset:
#   data/SIDD/train/gt/<name>_GT.png     data/SIDD/train/noisy/<name>_NOISY.png
#   data/SIDD/val/gt/<name>_GT.png       data/SIDD/val/noisy/<name>_NOISY.png
# Names are prefixed so this file can sit next to other bases (see
# skimage_sr.py).
sidd_data_root = 'data/SIDD'
sidd_train_pipeline = [
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
    dict(type='SetValues', dictionary=dict(scale=1)),
    dict(
        type='Flip',
        keys=['img', 'gt'],
        flip_ratio=0.5,
        direction='horizontal'),
    dict(
        type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='vertical'),
    dict(type='RandomTransposeHW', keys=['img', 'gt'], transpose_ratio=0.5),
    dict(type='PairedRandomCrop', gt_patch_size=256),
    dict(type='PackInputs'),
]
sidd_val_pipeline = [
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
    dict(type='PackInputs'),
]
sidd_train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=False,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='BasicImageDataset',
        metainfo=dict(dataset_type='sidd', task_name='denoising'),
        data_root=sidd_data_root + '/train',
        data_prefix=dict(gt='gt', img='noisy'),
        filename_tmpl=dict(img='{}_NOISY', gt='{}_GT'),
        pipeline=sidd_train_pipeline))
sidd_val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='BasicImageDataset',
        metainfo=dict(dataset_type='sidd', task_name='denoising'),
        data_root=sidd_data_root + '/val',
        data_prefix=dict(gt='gt', img='noisy'),
        filename_tmpl=dict(gt='{}_GT', img='{}_NOISY'),
        pipeline=sidd_val_pipeline))
sidd_val_evaluator = dict(
    type='Evaluator', metrics=[dict(type='PSNR'),
                               dict(type='SSIM')])
