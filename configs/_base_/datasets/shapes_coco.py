# Built-in detection data: coloured shapes on textured backgrounds, written
# once by mmdonna.DonnaCocoDataset (generate=...) into data_root as a
# COCO-format folder and evaluated with mmdet's CocoMetric.
#
# The names are prefixed `shapes_` because detection configs inherit a stock
# mmdet detector config next to this file, and MMEngine forbids the same key
# in two bases; a detection config takes them over with e.g.
#   train_dataloader = {{_base_.shapes_train_dataloader}}
# (each carries _delete_=True so nothing of mmdet's COCO loaders is left).
shapes_data_root = 'data/generated/shapes/'
shapes_classes = ('circle', 'square', 'triangle')
# Images are generated at this size: 128 px keeps a CPU RetinaNet step ~1 s.
shapes_img_size = 128
shapes_metainfo = dict(classes=shapes_classes)

shapes_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    # an identity resize: sets scale_factor, as real-data pipelines do
    dict(
        type='Resize',
        scale=(shapes_img_size, shapes_img_size),
        keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
shapes_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='Resize',
        scale=(shapes_img_size, shapes_img_size),
        keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]

shapes_train_dataloader = dict(
    _delete_=True,
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='mmdonna.DonnaCocoDataset',
        data_root=shapes_data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img='train/'),
        metainfo=shapes_metainfo,
        filter_cfg=dict(filter_empty_gt=True),
        # every split has its own seed: the same seed gives the same images
        generate=dict(num_images=800, seed=0, img_size=shapes_img_size),
        pipeline=shapes_train_pipeline))
shapes_val_dataloader = dict(
    _delete_=True,
    batch_size=16,
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmdonna.DonnaCocoDataset',
        data_root=shapes_data_root,
        ann_file='annotations/val.json',
        data_prefix=dict(img='val/'),
        metainfo=shapes_metainfo,
        test_mode=True,
        generate=dict(num_images=200, seed=1, img_size=shapes_img_size),
        pipeline=shapes_test_pipeline))
shapes_test_dataloader = dict(
    _delete_=True,
    batch_size=16,
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmdonna.DonnaCocoDataset',
        data_root=shapes_data_root,
        ann_file='annotations/test.json',
        data_prefix=dict(img='test/'),
        metainfo=shapes_metainfo,
        test_mode=True,
        generate=dict(num_images=200, seed=2, img_size=shapes_img_size),
        pipeline=shapes_test_pipeline))
shapes_val_evaluator = dict(
    _delete_=True,
    type='CocoMetric',
    ann_file=shapes_data_root + 'annotations/val.json',
    metric='bbox',
    format_only=False)
shapes_test_evaluator = dict(
    _delete_=True,
    type='CocoMetric',
    ann_file=shapes_data_root + 'annotations/test.json',
    metric='bbox',
    format_only=False)
