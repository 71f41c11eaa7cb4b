# BKD of the YOLOP-tiny teacher's encoder on the generated road scenes:
# every CSPDarknet stage's options learn to map the teacher's stage input to
# its stage output (NSR loss), all stages in one step. Neck and the three
# heads stay the teacher's and are the fixed part of the latency.
_base_ = [
    './yolop_tiny_generated_teacher.py',
    '../../../configs/_base_/search_spaces/mbconv_space.py',
    # latency target: this CPU through ONNX Runtime (LUT + fixed part)
    '../../../configs/_base_/latency/host_ort.py',
]

# The teacher's own training config (data, evaluator, runtime: exported
# subnets finetune with it) and its weights, produced by
# python tools/train.py projects/yolop/configs/yolop_tiny_generated_teacher.py
# (a folder: its last checkpoint is used; tools/search.py trains it into
# <work_dir>/teacher when missing).
teacher_config = '{{ fileDirname }}/yolop_tiny_generated_teacher.py'
teacher_checkpoint = 'work_dirs/yolop_tiny_generated_teacher'

# Cut points: mmdet's CSPDarknet names its stages stem, stage1..stage4; the
# neck reads stage2..stage4 and every option reproduces its stage's output
# shape, so the stock neck and heads fit any architecture. The stem (a
# Focus space-to-depth + one conv) is left to the teacher.
model = dict(
    _delete_=True,
    type='mmdonna.DonnaSupernet',
    teacher={{_base_.model}},
    teacher_checkpoint=teacher_checkpoint,
    # every cut point must be an encoder module (checked at build time)
    component='backbone',
    # block shapes, LUT shapes and the fixed part at the real input (h, w)
    input_shape=(3, 96, 160),
    train_options='sample',
    # 3 options per block and step: enough signal per step, cost ~1.5x teacher
    num_sampled=3,
    blocks=[
        dict(path='backbone.stage1', options={{_base_.mbconv_options}}),
        dict(path='backbone.stage2', options={{_base_.diverse_options}}),
        dict(path='backbone.stage3', options={{_base_.diverse_options}}),
        # stage4 holds the SPP block: a plain option replaces it all
        dict(path='backbone.stage4', options={{_base_.mbconv_options}}),
    ])

optim_wrapper = dict(
    _delete_=True, optimizer=dict(type='Adam', lr=2e-3, weight_decay=0))
param_scheduler = dict(
    _delete_=True, type='CosineAnnealingLR', by_epoch=True, T_max=6)
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=6)
# BKD has no validation loop: the held-out split is scored into the block
# library (work_dir/block_library.json) when training ends.
library_dataloader = {{_base_.val_dataloader}}
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
custom_hooks = [
    dict(type='mmdonna.BlockLibraryHook', dataloader=library_dataloader)
]
default_hooks = dict(checkpoint=dict(interval=3, max_keep_ckpts=1))
# Options are sampled per step: unsampled options have no gradient.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
