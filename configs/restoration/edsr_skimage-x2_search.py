# DONNAv2 search of the EDSR x2 body: BKD supernet -> block library ->
# latency LUT at a 256x256 input -> KD filter -> NSGA-II on (block-loss sum,
# latency) -> whole-model re-measurement of the front. Runs from nothing with
#   python tools/search.py configs/restoration/edsr_skimage-x2_search.py
# (trains the teacher and the BKD supernet first when they are missing).
_base_ = [
    './edsr_skimage-x2_bkd.py',
    '../_base_/latency/host_ort.py',
]

# teacher_config (from the bkd config) is trained into <work_dir>/teacher
# when model.teacher_checkpoint does not exist, with these overrides.
teacher_cfg_options = dict()

# The BKD run (tools/search.py runs it first): the bkd config's loop,
# schedule and hooks, kept reachable because this config replaces them.
bkd_train_cfg = _base_.train_cfg
bkd_param_scheduler = _base_.param_scheduler
bkd_custom_hooks = _base_.custom_hooks
custom_hooks = []
param_scheduler = None

# Latency on this CPU (the host ONNX Runtime target of the base, timed by
# thread CPU time) at the model's input_shape (3x256x256 LR: a 512x512
# output). A 256x256 body block runs for tens of ms, so 10 timed runs after
# 3 warm-ups resolve it well; the fastest run is the least disturbed.
latency = dict(
    targets=[dict(_base_.latency.targets[0], warmup=3, repeats=10)])

# Quality surrogate, lower is better. The EDSR body blocks are alike, so the
# plain NSR sum would do; 'mean' keeps the scale comparable across configs.
surrogate = dict(type='mmdonna.BlockLossSum', normalize='mean')

# DONNAv2 KD filter: drop options dominated in (latency, NSR) with 5% slack,
# keep >= 2 per block, and drop options with more than twice the teacher
# block's parameters (the 5x5 full-width residual block).
kd_filter = dict(
    type='mmdonna.KDFilter',
    slack=0.05,
    min_keep=2,
    max_cost_ratio=dict(params=2.0))

train_cfg = dict(
    _delete_=True,
    type='mmdonna.DonnaSearchLoop',
    # 10^4 architectures before filtering: 48 x 30 evaluations cover the
    # filtered space's front
    pop_size=48,
    n_gen=30,
    seed=0,
    operators='ordinal',
    constraints=None,
    hardware_in_the_loop=True,
    num_random_samples=1000)

# Exported subnets (work_dir/subnets/<name>.py) finetune the searched body
# inside the stock EDSR editor (stock upsampler, L1 pixel loss, PSNR/SSIM),
# starting from the BKD weights, plus distillation from the teacher's output
# image.
finetune = dict(
    distill=[
        dict(
            student='generator',
            teacher='generator',
            loss=dict(type='mmagic.L1Loss', loss_weight=1.0))
    ],
    train_cfg=dict(
        type='IterBasedTrainLoop', max_iters=600, val_interval=600),
    # BKD weights are a good start: a tenth of the teacher's rate
    optim_wrapper=dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)),
    param_scheduler=dict(
        type='CosineAnnealingLR', by_epoch=False, T_max=600, eta_min=1e-6),
    default_hooks=dict(
        timer=dict(type='IterTimerHook'),
        logger=dict(type='LoggerHook', interval=100),
        param_scheduler=dict(type='ParamSchedulerHook'),
        checkpoint=dict(
            type='CheckpointHook',
            interval=600,
            by_epoch=False,
            max_keep_ckpts=1),
        sampler_seed=dict(type='DistSamplerSeedHook')))
# tools/search.py finetunes this many front architectures (the fastest, the
# middle and the best of the front) and prints them next to the teacher, by
# PSNR.
finetune_front = dict(num=3, metric='PSNR')
