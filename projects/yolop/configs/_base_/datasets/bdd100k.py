# BDD100K in YOLOP's layout (see projects/yolop/README.md): 70k train / 10k
# val frames of 1280x720 with the detection json, drivable-area and
# lane-line masks YOLOP distributes, under data/bdd100k/:
#   images/{train,val}/<id>.jpg           det_annotations/{train,val}/<id>.json
#   da_seg_annotations/{train,val}/<id>.png  ll_seg_annotations/{...}/<id>.png
data_root = 'data/bdd100k/'
# YOLOP's input: 640x384 (1280x720 scaled by 1/2 and padded to 384)
img_scale = (640, 384)
metainfo = dict(classes=('vehicle', ))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdonna.LoadYOLOPAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Pad', size=img_scale, pad_val=dict(img=(114, 114, 114), seg=0)),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmdonna.PackYOLOPInputs')
]
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
    batch_size=24,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='mmdonna.BDD100KDataset',
        data_root=data_root,
        split='train',
        metainfo=metainfo,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=24,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmdonna.BDD100KDataset',
        data_root=data_root,
        split='val',
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmdonna.YOLOPMetric')
test_evaluator = val_evaluator
