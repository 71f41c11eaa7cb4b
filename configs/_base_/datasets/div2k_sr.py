# Real x2 super-resolution data in mmagic's standard layout (as the stock
# configs/edsr/edsr_x2c64b16_1xb16-300k_div2k.py): DIV2K sub-images for
# training, Set5 for validation, read by mmagic's BasicImageDataset.
#   data/DIV2K/DIV2K_train_HR_sub/*.png
#   data/DIV2K/DIV2K_train_LR_bicubic/X2_sub/*.png
#   data/DIV2K/meta_info_DIV2K800sub_GT.txt   (one file name per line)
#   data/Set5/GTmod12/*.png  data/Set5/LRbicx2/*.png
# (mmagic's tools/dataset_converters/div2k prepares the sub-images.) Names
# are prefixed so this file can sit next to other bases (see skimage_sr.py).
div2k_sr_scale = 2
div2k_sr_data_root = 'data'
div2k_sr_train_pipeline = [
    dict(
        type='LoadImageFromFile',
        key='img',
        color_type='color',
        channel_order='rgb',
        imdecode_backend='cv2'),
    dict(
        type='LoadImageFromFile',
        key='gt',
        color_type='color',
        channel_order='rgb',
        imdecode_backend='cv2'),
    dict(type='SetValues', dictionary=dict(scale=div2k_sr_scale)),
    dict(type='PairedRandomCrop', gt_patch_size=96),
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
div2k_sr_val_pipeline = [
    dict(
        type='LoadImageFromFile',
        key='img',
        color_type='color',
        channel_order='rgb',
        imdecode_backend='cv2'),
    dict(
        type='LoadImageFromFile',
        key='gt',
        color_type='color',
        channel_order='rgb',
        imdecode_backend='cv2'),
    dict(type='PackInputs'),
]
div2k_sr_train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=False,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='BasicImageDataset',
        ann_file='meta_info_DIV2K800sub_GT.txt',
        metainfo=dict(dataset_type='div2k', task_name='sisr'),
        data_root=div2k_sr_data_root + '/DIV2K',
        data_prefix=dict(
            img='DIV2K_train_LR_bicubic/X2_sub', gt='DIV2K_train_HR_sub'),
        filename_tmpl=dict(img='{}', gt='{}'),
        pipeline=div2k_sr_train_pipeline))
# Set5 images differ in size: one per batch
div2k_sr_val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='BasicImageDataset',
        metainfo=dict(dataset_type='set5', task_name='sisr'),
        data_root=div2k_sr_data_root + '/Set5',
        data_prefix=dict(img='LRbicx2', gt='GTmod12'),
        pipeline=div2k_sr_val_pipeline))
div2k_sr_val_evaluator = dict(
    type='Evaluator',
    metrics=[
        dict(type='PSNR', crop_border=div2k_sr_scale),
        dict(type='SSIM', crop_border=div2k_sr_scale),
    ])
