# KD finetuning of a searched SSDLite MobileNetV2 detector, after the search.
# `python tools/search.py
# configs/detection/ssdlite_mobilenetv2_shapes_search.py` exports every front
# architecture as
# work_dirs/ssdlite_mobilenetv2_shapes_search/subnets/<name>.py: the stock
# mmdet detector (SSD neck + SSDLite head, CocoMetric) with its backbone
# replaced by mmdonna.DonnaBackbone, initialised from the BKD weights
# (<name>.pth) and distilled from the teacher's features (2 backbone maps and
# the 4 SSD neck levels), set up by the search config's `donna.finetune`. This
# file points at one of them (arch00: the fastest front architecture; see
# report.md / pareto.json for the others) and trains it for longer:
#   python tools/train.py configs/detection/ssdlite_mobilenetv2_shapes_finetune.py
_base_ = [
    '../../work_dirs/ssdlite_mobilenetv2_shapes_search/subnets/'
    'host-ort-cpu-1t-cputime_arch00.py'
]
work_dir = 'work_dirs/ssdlite_mobilenetv2_shapes_finetune'
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=4)
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, T_max=max_epochs)
]
default_hooks = dict(checkpoint=dict(interval=4))
