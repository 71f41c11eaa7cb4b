# KD finetuning of a searched YOLOP-tiny, after the search. `python
# tools/search.py projects/yolop/configs/yolop_tiny_generated_search.py`
# exports every front architecture as
# work_dirs/yolop_tiny_generated_search/subnets/<name>.py: the YOLOP model
# (stock neck and heads, YOLOPMetric) with its encoder replaced by
# mmdonna.DonnaBackbone, initialised from the BKD weights (<name>.pth) and
# distilled from the teacher's neck outputs, set up by the search config's
# `donna.finetune`. This file points at one of them (arch00: the fastest front
# architecture; see report.md / pareto.json for the others) and trains it for
# longer:
#   python tools/train.py projects/yolop/configs/yolop_tiny_generated_finetune.py
_base_ = [
    '../../../work_dirs/yolop_tiny_generated_search/subnets/'
    'host-ort-cpu-1t-cputime_arch00.py'
]
work_dir = 'work_dirs/yolop_tiny_generated_finetune'
max_epochs = 24
train_cfg = dict(max_epochs=max_epochs, val_interval=12)
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=max_epochs)
]
default_hooks = dict(checkpoint=dict(interval=12))
