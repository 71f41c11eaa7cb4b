# YOLOP from mm parts, sized for CPU: mmdet's CSPDarknet encoder at YOLOX-
# nano depth/width (deepen 0.33, widen 0.25: 16..256 channels), YOLOXPAFPN
# (FPN + PAN) and YOLOXHead (SimOTA assigner, IoU/BCE losses, NMS) for the
# vehicles, and two YOLOP segmentation heads on the stride-8 neck level.
model = dict(
    type='mmdonna.YOLOP',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        # YOLOP normalises RGB images with the ImageNet statistics
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='CSPDarknet',
        deepen_factor=0.33,
        widen_factor=0.25,
        # stage2..stage4 (strides 8, 16, 32) feed the neck
        out_indices=(2, 3, 4),
        norm_cfg=dict(type='BN', momentum=0.03, eps=0.001),
        act_cfg=dict(type='Swish')),
    neck=dict(
        type='YOLOXPAFPN',
        in_channels=[64, 128, 256],
        out_channels=64,
        num_csp_blocks=1,
        norm_cfg=dict(type='BN', momentum=0.03, eps=0.001),
        act_cfg=dict(type='Swish')),
    bbox_head=dict(
        type='YOLOXHead',
        num_classes=1,
        in_channels=64,
        feat_channels=64,
        stacked_convs=2,
        strides=(8, 16, 32),
        norm_cfg=dict(type='BN', momentum=0.03, eps=0.001),
        act_cfg=dict(type='Swish'),
        loss_cls=dict(
            type='CrossEntropyLoss',
            use_sigmoid=True,
            reduction='sum',
            loss_weight=1.0),
        loss_bbox=dict(
            type='IoULoss',
            mode='square',
            eps=1e-16,
            reduction='sum',
            loss_weight=5.0),
        loss_obj=dict(
            type='CrossEntropyLoss',
            use_sigmoid=True,
            reduction='sum',
            loss_weight=1.0),
        loss_l1=dict(type='L1Loss', reduction='sum', loss_weight=1.0)),
    da_seg_head=dict(
        type='mmdonna.YOLOPSegHead',
        task='da',
        in_channels=64,
        # three conv + 2x upsample stages: stride 8 -> full resolution
        channels=(32, 16, 8),
        # YOLOP's DA_SEG_GAIN
        loss_seg=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.2)),
    ll_seg_head=dict(
        type='mmdonna.YOLOPSegHead',
        task='ll',
        in_channels=64,
        channels=(32, 16, 8),
        # YOLOP's LL_SEG_GAIN and LL_IOU_GAIN: cross-entropy plus a soft
        # overlap term on the lane probability (thin lanes are ~5 % of the
        # pixels; the overlap term keeps them from vanishing)
        loss_seg=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.2),
        loss_overlap=dict(
            type='DiceLoss', activate=False, naive_dice=False,
            loss_weight=0.2)),
    # YOLOP's MULTI_HEAD_LAMBDA: one weight per task
    task_weights=dict(det=1.0, da_seg=1.0, ll_seg=1.0),
    train_cfg=dict(assigner=dict(type='SimOTAAssigner', center_radius=2.5)),
    # YOLOP evaluates at confidence 0.001 and NMS IoU 0.6
    test_cfg=dict(
        score_thr=0.001,
        nms=dict(type='nms', iou_threshold=0.6),
        max_per_img=100))
