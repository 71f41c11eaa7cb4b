# DONNA on mmdet's stock SSDLite MobileNetV2 (ssdlite_mobilenetv2_shapes_
# teacher.py, unchanged), backbone searched; SSD neck and head stay the
# teacher's (the measured fixed part of the latency).
#   python tools/search.py configs/detection/ssdlite_mobilenetv2_shapes_search.py
_base_ = ['./ssdlite_mobilenetv2_shapes_teacher.py']

donna = dict(
    # mmdet's MobileNetV2 names its stages layer1..layer7 (+ conv2)
    blocks=[
        dict(path='backbone.layer2', options='mbconv'),
        dict(path='backbone.layer3', options='mbconv'),
        dict(path='backbone.layer4', options='diverse'),
        dict(path='backbone.layer5', options='diverse'),
        dict(path='backbone.layer6', options='mbconv'),
    ],
    input_shape=(3, 128, 128),
    bkd=dict(epochs=4, lr=2e-3, num_sampled=3),
    latency=dict(passes=4),
    surrogate=dict(normalize='mean'),
    finetune=dict(
        epochs=6,
        lr=5e-4,
        # no FPN: distil the 2 backbone maps the neck reads and the 4 extra
        # SSD levels; 6 maps at ~0.15 keep the feature term ~ the detection
        # loss
        distill=[
            dict(
                student=s,
                teacher=s.replace('backbone.base.', 'backbone.'),
                loss=dict(type='mmdonna.NSRLoss', loss_weight=0.15))
            for s in ['backbone.base.layer5', 'backbone.base.conv2'] +
            [f'neck.extra_layers.{i}' for i in range(4)]
        ]),
)
