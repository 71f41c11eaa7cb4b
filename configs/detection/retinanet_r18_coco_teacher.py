# Real COCO: mmdet's stock RetinaNet-R18 (train it with tools/train.py, or
# take mmdet's trained weights, see retinanet_r18_coco_search.py), with one
# change for the search: every image is resized into and padded to a fixed
# 640 x 640 square, so block shapes, the latency LUT and the fixed part
# (FPN + RetinaHead) are measured at the resolution the detector runs at.
# Data layout as mmdet expects: data/coco/{annotations,train2017,val2017}.
_base_ = ['mmdet::retinanet/retinanet_r18_fpn_1x_coco.py']

# The weights come from mmdet's trained checkpoint (donna.teacher_checkpoint
# in the search config) and, for exported subnets, from BKD: no ImageNet download. To
# train this teacher yourself, set it back to
# dict(type='Pretrained', checkpoint='torchvision://resnet18').
model = dict(backbone=dict(init_cfg=None))

img_size = 640
# ~ the ImageNet mean in BGR: padding normalises to ~0, like batch padding
pad_val = dict(img=(104.0, 116.0, 124.0))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=(img_size, img_size), pad_val=pad_val),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=True),
    dict(type='Pad', size=(img_size, img_size), pad_val=pad_val),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
# mmdet's CocoDataset, plus a one-line error naming ann_file when the
# annotation file is missing
train_dataloader = dict(
    dataset=dict(type='mmdonna.DonnaCocoDataset', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type='mmdonna.DonnaCocoDataset', pipeline=test_pipeline))
test_dataloader = val_dataloader

# Exported subnets inherit this config: refuse, before the first step, a
# searched backbone whose outputs no longer fit the FPN/RetinaHead.
custom_imports = dict(
    imports=['mmdonna.detection'], allow_failed_imports=False)
custom_hooks = [
    dict(type='mmdonna.DetectorFitHook', input_shape=(3, img_size, img_size))
]
