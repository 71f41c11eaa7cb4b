# BKD of the EDSR x2 teacher: every body block's options learn to map the
# teacher's block input to its block output (NSR loss), all in one step.
_base_ = [
    './edsr_skimage-x2_teacher.py',
    '../_base_/search_spaces/restoration_space.py',
]

# The teacher's own training config (data, evaluator, runtime for finetuning
# exported subnets) and its weights, produced by
# python tools/train.py configs/restoration/edsr_skimage-x2_teacher.py
# (a folder: its last checkpoint is used; tools/search.py trains it into
# <work_dir>/teacher when it is missing).
teacher_config = '{{ fileDirname }}/edsr_skimage-x2_teacher.py'
teacher_checkpoint = 'work_dirs/edsr_skimage-x2_teacher'

model = dict(
    _delete_=True,
    type='mmdonna.DonnaSupernet',
    teacher=_base_.model,
    teacher_checkpoint=teacher_checkpoint,
    # Block shapes (and so the library's FLOPs and the latency LUT) come from
    # a 256x256 input, a realistic phone-photo tile; training uses the small
    # patches of the dataloader: every option keeps the resolution, so the
    # same weights run at any size.
    input_shape=(3, 256, 256),
    train_options='sample',
    # 3 of the 10 options per block and step: ~1.5x a teacher step
    num_sampled=3,
    blocks=[
        dict(path=f'generator.body.{i}', options=_base_.restoration_options)
        for i in range(4)
    ])

max_iters = 1500
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
optim_wrapper = dict(
    _delete_=True, optimizer=dict(type='Adam', lr=1e-3, weight_decay=0))
param_scheduler = dict(
    _delete_=True,
    type='CosineAnnealingLR',
    by_epoch=False,
    T_max=max_iters,
    eta_min=1e-6)
# BKD has no validation loop: the held-out split is scored into the block
# library (work_dir/block_library.json) when training ends.
library_dataloader = _base_.val_dataloader
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
    checkpoint=dict(
        _delete_=True,
        type='CheckpointHook',
        by_epoch=False,
        interval=500,
        max_keep_ckpts=1))
# Options are sampled per step: unsampled options have no gradient.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
