# BKD of the digits MobileNetV2 teacher: every block's options learn to map
# the teacher's block input to its block output (NSR loss), all in one step.
_base_ = [
    './mobilenetv2_digits_teacher.py',
    '../_base_/search_spaces/mbconv_space.py',
]

# The teacher's own training config (data, evaluator, runtime for finetuning
# exported subnets) and its weights, produced by
# python tools/train.py configs/classification/mobilenetv2_digits_teacher.py
# (a folder: its last checkpoint is used).
teacher_config = '{{ fileDirname }}/mobilenetv2_digits_teacher.py'
teacher_checkpoint = 'work_dirs/mobilenetv2_digits_teacher'

# Cut points: stock mmpretrain MobileNetV2 names its stages layer1..layer7.
model = dict(
    _delete_=True,
    type='mmdonna.DonnaSupernet',
    teacher={{_base_.model}},
    teacher_checkpoint=teacher_checkpoint,
    data_preprocessor={{_base_.data_preprocessor}},
    input_shape=(3, 32, 32),
    train_options='sample',
    # 4 of 12 options per block and step: each option is trained on a third
    # of the steps; the step costs about as much as a teacher training step
    num_sampled=4,
    blocks=[
        dict(path='backbone.layer2', options={{_base_.mbconv_options}}),
        dict(path='backbone.layer3', options={{_base_.mbconv_options}}),
        dict(
            path='backbone.layer4',
            options={{_base_.linear_out_diverse_options}}),
        dict(
            path='backbone.layer5',
            options={{_base_.linear_out_diverse_options}}),
        dict(path='backbone.layer6', options={{_base_.mbconv_options}}),
    ])

# A high Adam lr: 40 updates per option reach held-out NSR ~0.35 at 3e-2
# versus ~0.65 at 2e-3 (measured on layer3 of the digits teacher).
optim_wrapper = dict(
    _delete_=True, optimizer=dict(type='Adam', lr=3e-2, weight_decay=0))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=8)
train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=100)
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
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=1))
# Options are sampled per step: unsampled options have no gradient.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

# Finetuning of exported subnets (work_dir/subnets/<name>.py): KD from the
# teacher's logits plus the task loss, from the BKD weights. 3 epochs: BKD
# initialisation reaches the teacher's accuracy in about 2 (see
# benchmarks/finetune_speedup.py).
finetune = dict(
    train_cfg=dict(by_epoch=True, max_epochs=3, val_interval=3),
    optim_wrapper=dict(
        optimizer=dict(type='AdamW', lr=3e-3, weight_decay=1e-4)),
    param_scheduler=dict(type='CosineAnnealingLR', by_epoch=True, T_max=3))
# tools/search.py finetunes this many front architectures per target and
# prints them next to the teacher.
finetune_front = dict(num=1, metric='accuracy/top1')
