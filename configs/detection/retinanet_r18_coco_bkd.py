# BKD of the COCO RetinaNet-R18 backbone at 640 x 640 on COCO train2017.
_base_ = [
    './retinanet_r18_coco_teacher.py',
    '../_base_/search_spaces/mbconv_space.py',
    '../_base_/latency/host_ort.py',
]

teacher_config = '{{ fileDirname }}/retinanet_r18_coco_teacher.py'
# mmdet's trained RetinaNet-R18 (31.7 box AP), downloaded once by the user:
# https://download.openmmlab.com/mmdetection/v2.0/retinanet/
# retinanet_r18_fpn_1x_coco/retinanet_r18_fpn_1x_coco_20220407_171055-614fd399.pth
teacher_checkpoint = ('checkpoints/'
                      'retinanet_r18_fpn_1x_coco_20220407_171055-614fd399.pth')

model = dict(
    _delete_=True,
    type='mmdonna.DonnaSupernet',
    teacher={{_base_.model}},
    teacher_checkpoint=teacher_checkpoint,
    # every cut point must be a backbone module (checked at build time)
    component='backbone',
    input_shape=(3, 640, 640),
    train_options='sample',
    num_sampled=3,
    # Attention options are left out at 640 px: 80x80 = 6400 tokens in
    # layer2 make them far slower than any convolution on a CPU/phone.
    blocks=[
        dict(path='backbone.layer1', options={{_base_.mbconv_options}}),
        dict(path='backbone.layer2', options={{_base_.mbconv_options}}),
        dict(path='backbone.layer3', options={{_base_.mbconv_options}}),
        dict(path='backbone.layer4', options={{_base_.mbconv_options}}),
    ])

# BKD needs far fewer steps than detection training: a fraction of an epoch
# of COCO (8 images per step) already ranks the options.
train_dataloader = dict(batch_size=8, num_workers=4)
optim_wrapper = dict(
    _delete_=True, optimizer=dict(type='Adam', lr=1e-3, weight_decay=0))
param_scheduler = dict(
    _delete_=True, type='CosineAnnealingLR', by_epoch=False, T_max=20000)
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=20000)
# held-out NSRs on 500 val2017 images
library_dataloader = dict(
    batch_size=8,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmdonna.DonnaCocoDataset',
        data_root='data/coco/',
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        indices=500,
        pipeline={{_base_.test_pipeline}}))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
custom_hooks = [
    dict(type='mmdonna.BlockLibraryHook', dataloader=library_dataloader)
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=2000, max_keep_ckpts=1),
    logger=dict(interval=50))
log_processor = dict(by_epoch=False)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
