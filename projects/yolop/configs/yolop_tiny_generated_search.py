# DONNAv2 search of the YOLOP-tiny encoder on the generated road scenes:
# BKD supernet -> block library -> latency LUT of the encoder options + the
# measured fixed part (stem + YOLOXPAFPN + detection head + both segmentation
# heads at 160x96, no NMS) -> KD filter -> NSGA-II on (block-loss sum,
# whole-model latency) -> whole-model re-measurement of the front -> export
# -> KD finetuning of a front model, evaluated next to the teacher. Runs
# from nothing with
#   python tools/search.py projects/yolop/configs/yolop_tiny_generated_search.py
# (trains the teacher and the BKD supernet first when they are missing).
_base_ = ['./yolop_tiny_generated_bkd.py']

# teacher_config (from the bkd config) is trained into <work_dir>/teacher
# when model.teacher_checkpoint does not exist, with these overrides.
teacher_cfg_options = dict()

# The BKD run (tools/search.py runs it before searching), kept reachable
# because this config replaces the loop and the hooks.
bkd_train_cfg = {{_base_.train_cfg}}
bkd_param_scheduler = {{_base_.param_scheduler}}
bkd_custom_hooks = {{_base_.custom_hooks}}
custom_hooks = []
# the search steps no schedule (and reads no data)
param_scheduler = None

# Quality surrogate, lower is better; 'mean' normalisation so that the
# early, low-NSR stages count as much as the late ones.
surrogate = dict(type='mmdonna.BlockLossSum', normalize='mean')

# DONNAv2 KD filter per target: drop options dominated in (latency, NSR)
# with 5% slack (LUT jitter on a shared CPU), keep >= 2 per block, and drop
# options with more than twice the teacher stage's parameters.
kd_filter = dict(
    type='mmdonna.KDFilter',
    slack=0.05,
    min_keep=2,
    max_cost_ratio=dict(params=2.0))

train_cfg = dict(
    _delete_=True,
    type='mmdonna.DonnaSearchLoop',
    pop_size=48,
    n_gen=40,
    seed=0,
    operators='ordinal',
    # e.g. dict(latency_ms=3.0): the bound is on the whole YOLOP
    constraints=None,
    hardware_in_the_loop=True,
    num_random_samples=1000)

# Finetuning of exported subnets (work_dir/subnets/<name>.py): YOLOP's three
# task losses plus distillation of the teacher's neck outputs (NSR per
# level) into the student's, starting from the BKD weights.
finetune = dict(
    distill=[
        dict(
            student=f'neck.out_convs.{i}',
            teacher=f'neck.out_convs.{i}',
            # 3 levels: 0.3 each keeps the feature term ~ one task loss
            loss=dict(type='mmdonna.NSRLoss', loss_weight=0.3))
        for i in range(3)
    ],
    # the encoder starts from BKD and the rest from the teacher: a short
    # run with a lower LR than training from scratch
    train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=12),
    optim_wrapper=dict(
        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=5e-4),
        paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
        clip_grad=dict(max_norm=10.0)),
    param_scheduler=[dict(type='CosineAnnealingLR', by_epoch=True, T_max=12)])
# tools/search.py finetunes this many front models (spread over the front)
# and evaluates them and the teacher; projects/yolop/tools/evaluate.py
# then reports all three tasks' metrics for both
finetune_front = dict(num=1, metric='yolop/det_mAP50')
