# DONNA on a stock mmdet detector: the RetinaNet-R18 of
# retinanet_r18_shapes_teacher.py (unchanged) with its backbone searched;
# the FPN and RetinaHead stay the teacher's and count in latency as the
# measured fixed part. From nothing (the teacher is trained first):
#   python tools/search.py configs/detection/retinanet_r18_shapes_search.py
_base_ = ['./retinanet_r18_shapes_teacher.py']

donna = dict(
    # mmdet's ResNet names its stages layer1..layer4; every option keeps its
    # stage's output shape, so the stock FPN reads any architecture
    blocks=[
        dict(path='backbone.layer1', options='mbconv'),
        dict(path='backbone.layer2', options='diverse'),
        dict(path='backbone.layer3', options='diverse'),
        dict(path='backbone.layer4', options='mbconv'),
    ],
    # the generated images' size: block shapes, LUT and fixed part at the
    # detector's real input resolution
    input_shape=(3, 128, 128),
    # 3 options per block and step: enough signal, ~1.5x a teacher step
    bkd=dict(epochs=4, lr=2e-3, num_sampled=3),
    # a LUT sweep takes ~20 s here: 4 sweeps minutes apart, each entry
    # keeping its least disturbed one (whole detectors measured under load
    # differed by up to 20 % between sweeps on this shared CPU)
    latency=dict(passes=4),
    # 'mean': the early, low-NSR stages count as much as the late ones
    surrogate=dict(normalize='mean'),
    # the middle of the front, 6 epochs of the teacher's AdamW at a quarter
    # of its rate, distilling the 5 FPN levels (the default for an FPN)
    finetune=dict(epochs=6, lr=5e-4),
)
