# DONNA on mmpretrain's stock ImageNet MobileNetV2 config, unchanged, for
# users with ImageNet in the standard folder layout
# (data/imagenet/{train,val}/<class>/*.JPEG) and the teacher's weights on
# disk (nothing is downloaded at run time).
#   python tools/search.py configs/classification/mobilenetv2_imagenet_search.py
_base_ = ['mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py']

donna = dict(
    # DONNA's MobileNetV2 space: every stage but the first and the last
    blocks=[f'backbone.layer{i}' for i in range(2, 8)],
    options='diverse_linear_out',
    # e.g. the mmpretrain model-zoo checkpoint, downloaded beforehand
    teacher_checkpoint='checkpoints/mobilenet_v2_8xb32_in1k.pth',
    # DONNA: one option per block and step; 100 held-out batches score it
    bkd=dict(epochs=10, library_batches=100),
    surrogate=dict(normalize='mean'),
    filter=dict(max_cost_ratio=dict()),
    # KD finetuning, shorter than training from scratch
    finetune=dict(epochs=30),
)
