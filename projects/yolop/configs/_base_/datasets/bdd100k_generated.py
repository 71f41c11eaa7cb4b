# Generated road scenes in the BDD100K layout of YOLOP, written once by
# mmdonna.BDD100KDataset (generate=...) into data_root (git-ignored) and
# evaluated with mmdonna.YOLOPMetric. `python projects/yolop/tools/
# generate_data.py` writes the same files ahead of time.
data_root = 'data/generated/yolop/'
# (w, h): BDD100K's 16:9 frames at YOLOP's 640x384 aspect, scaled to 1/4
# so that two CPU cores train the teacher in minutes
img_scale = (160, 96)
metainfo = dict(classes=('vehicle', ))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdonna.LoadYOLOPAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    # bottom/right padding to the input size: boxes keep their origin and
    # the masks' padding is background, as YOLOP's letterbox
    dict(type='Pad', size=img_scale, pad_val=dict(img=(114, 114, 114), seg=0)),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmdonna.PackYOLOPInputs')
]
# annotations are loaded after the resize: boxes and masks stay in the
# original image's frame, where predictions are rescaled to
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Pad', size=img_scale, pad_val=dict(img=(114, 114, 114), seg=0)),
    dict(type='mmdonna.LoadYOLOPAnnotations'),
    dict(
        type='mmdonna.PackYOLOPInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]

train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='mmdonna.BDD100KDataset',
        data_root=data_root,
        split='train',
        metainfo=metainfo,
        # every split has its own seed: the same seed gives the same images
        generate=dict(num_images=480, seed=0, img_size=img_scale),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmdonna.BDD100KDataset',
        data_root=data_root,
        split='val',
        metainfo=metainfo,
        test_mode=True,
        generate=dict(num_images=120, seed=1, img_size=img_scale),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmdonna.YOLOPMetric')
test_evaluator = val_evaluator
