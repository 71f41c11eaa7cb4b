# KD finetuning of a searched EDSR x2 body, after the search. `python
# tools/search.py configs/restoration/edsr_skimage-x2_search.py` exports every
# front architecture as work_dirs/edsr_skimage-x2_search/subnets/<name>.py: the
# stock EDSR editor (upsampler, L1 loss, PSNR/SSIM) with its body replaced by
# mmdonna.DonnaBackbone, initialised from the BKD weights (<name>.pth) and
# distilled from the teacher's output, set up by the search config's
# `donna.finetune`. This file points at one of them (arch00: the fastest front
# architecture; see report.md / pareto.json for the others) and trains it for
# longer:
#   python tools/train.py configs/restoration/edsr_skimage-x2_finetune.py
_base_ = [
    '../../work_dirs/edsr_skimage-x2_search/subnets/'
    'host-ort-cpu-1t-cputime_arch00.py'
]
work_dir = 'work_dirs/edsr_skimage-x2_finetune'
max_iters = 3000
train_cfg = dict(max_iters=max_iters, val_interval=1000)
param_scheduler = dict(T_max=max_iters)
default_hooks = dict(checkpoint=dict(interval=1000))
