# DONNAv2 search of the SSDLite MobileNetV2 backbone on the built-in shapes;
# the same pattern as retinanet_r18_shapes_search.py with another stock mmdet
# detector (no code change). Runs from nothing with
#   python tools/search.py configs/detection/ssdlite_mobilenetv2_shapes_search.py
_base_ = ['./ssdlite_mobilenetv2_shapes_bkd.py']

teacher_cfg_options = dict()

# The BKD run (tools/search.py runs it before searching), kept reachable
# because this config replaces the loop and the hooks.
bkd_train_cfg = {{_base_.train_cfg}}
bkd_param_scheduler = {{_base_.param_scheduler}}
bkd_custom_hooks = {{_base_.custom_hooks}}
custom_hooks = []
# the search steps no schedule (and reads no data)
param_scheduler = None

surrogate = dict(type='mmdonna.BlockLossSum', normalize='mean')
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
    # e.g. dict(latency_ms=1.5): the bound is on the whole detector
    constraints=None,
    hardware_in_the_loop=True,
    num_random_samples=1000)

# Finetuning of exported subnets: the stock SSD loss plus distillation of
# the two backbone maps the SSD neck reads (the student's backbone is a
# DonnaBackbone: its network sits under backbone.base) and of the neck's
# four extra levels.
finetune = dict(
    distill=[
        dict(
            student=s,
            teacher=s.replace('backbone.base.', 'backbone.'),
            # 6 maps: ~0.15 each keeps the feature term ~ the detection loss
            loss=dict(type='mmdonna.NSRLoss', loss_weight=0.15))
        for s in ['backbone.base.layer5', 'backbone.base.conv2'] +
        [f'neck.extra_layers.{i}' for i in range(4)]
    ],
    train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=6, val_interval=3),
    optim_wrapper=dict(
        optimizer=dict(type='AdamW', lr=5e-4, weight_decay=1e-4),
        clip_grad=dict(max_norm=10.0)),
    param_scheduler=[dict(type='CosineAnnealingLR', by_epoch=True, T_max=6)])
# tools/search.py finetunes this many front detectors (spread over the
# front) and evaluates them and the teacher with mmdet's CocoMetric
finetune_front = dict(num=1, metric='coco/bbox_mAP')
