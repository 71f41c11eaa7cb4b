# BKD of mmpretrain's stock ImageNet MobileNetV2 for users with ImageNet in
# the standard folder layout (data/imagenet/{train,val}/<class>/*.JPEG) and
# the teacher's weights on disk (nothing is downloaded at run time).
_base_ = [
    'mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py',
    '../_base_/search_spaces/mbconv_space.py',
]

teacher_config = 'mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py'
# e.g. the mmpretrain model-zoo checkpoint, downloaded beforehand
teacher_checkpoint = 'checkpoints/mobilenet_v2_8xb32_in1k.pth'

model = dict(
    _delete_=True,
    type='mmdonna.DonnaSupernet',
    teacher={{_base_.model}},
    teacher_checkpoint=teacher_checkpoint,
    data_preprocessor={{_base_.data_preprocessor}},
    input_shape=(3, 224, 224),
    train_options='sample',
    num_sampled=1,  # DONNA: one option per block and step
    blocks=[
        dict(
            path=f'backbone.layer{i}',
            options={{_base_.linear_out_diverse_options}})
        for i in range(2, 8)
    ])

optim_wrapper = dict(
    _delete_=True, optimizer=dict(type='Adam', lr=1e-3, weight_decay=0))
param_scheduler = dict(
    _delete_=True, type='CosineAnnealingLR', by_epoch=True, T_max=10)
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=100)
library_dataloader = {{_base_.val_dataloader}}
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
custom_hooks = [
    dict(
        type='mmdonna.BlockLibraryHook',
        dataloader=library_dataloader,
        max_batches=100)
]
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
