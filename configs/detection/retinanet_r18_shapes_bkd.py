# BKD of the RetinaNet-R18 teacher's backbone on detection images: every
# cut block's options learn to map the teacher's block input to its block
# output (NSR loss), all blocks in one step. Neck and head stay the teacher's
# and are accounted for in latency as the fixed part.
_base_ = [
    './retinanet_r18_shapes_teacher.py',
    '../_base_/search_spaces/mbconv_space.py',
    # latency target: this CPU through ONNX Runtime (LUT + fixed part)
    '../_base_/latency/host_ort.py',
]

# The teacher's own training config (data, evaluator, runtime: exported
# subnets finetune with it) and its weights, produced by
# python tools/train.py configs/detection/retinanet_r18_shapes_teacher.py
# (a folder: its last checkpoint is used; tools/search.py trains it there
# when missing).
teacher_config = '{{ fileDirname }}/retinanet_r18_shapes_teacher.py'
teacher_checkpoint = 'work_dirs/retinanet_r18_shapes_teacher'

# Cut points: mmdet's ResNet names its stages layer1..layer4; the FPN reads
# all four (out_indices=(0, 1, 2, 3)), and every option reproduces its
# stage's output shape, so the stock neck fits any architecture.
model = dict(
    _delete_=True,
    type='mmdonna.DonnaSupernet',
    teacher={{_base_.model}},
    teacher_checkpoint=teacher_checkpoint,
    # the generated images' size: block shapes, LUT shapes and the fixed
    # part are all measured at the detector's real input resolution
    # every cut point must be a backbone module (checked at build time)
    component='backbone',
    input_shape=(3, 128, 128),
    train_options='sample',
    # 3 options per block and step: enough signal per step, cost ~1.5x teacher
    num_sampled=3,
    blocks=[
        dict(path='backbone.layer1', options={{_base_.mbconv_options}}),
        dict(path='backbone.layer2', options={{_base_.diverse_options}}),
        dict(path='backbone.layer3', options={{_base_.diverse_options}}),
        dict(path='backbone.layer4', options={{_base_.mbconv_options}}),
    ])

optim_wrapper = dict(
    _delete_=True, optimizer=dict(type='Adam', lr=2e-3, weight_decay=0))
param_scheduler = dict(
    _delete_=True, type='CosineAnnealingLR', by_epoch=True, T_max=4)
train_cfg = dict(max_epochs=4, val_interval=100)
# BKD has no validation loop: the held-out split is scored into the block
# library (work_dir/block_library.json) when training ends.
library_dataloader = {{_base_.shapes_val_dataloader}}
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
custom_hooks = [
    dict(type='mmdonna.BlockLibraryHook', dataloader=library_dataloader)
]
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=1))
# Options are sampled per step: unsampled options have no gradient.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
# A sweep of the LUT (every option alone + the whole teacher and the
# calibration detectors) takes ~20 s at 128 px: four sweeps, minutes apart,
# each entry keeping its least disturbed one, cost little and keep a burst of
# load from other processes on this shared CPU out of the table (the whole
# detectors measured under load differed by up to 20 % between sweeps).
latency = dict(passes=4)
