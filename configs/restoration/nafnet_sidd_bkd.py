# BKD of the NAFNet teacher on SIDD (see nafnet_skimage-sigma25_bkd.py for
# the method and ../_base_/datasets/sidd_denoising.py for the data layout).
_base_ = [
    './nafnet_skimage-sigma25_bkd.py',
    '../_base_/datasets/sidd_denoising.py',
]
teacher_config = '{{ fileDirname }}/nafnet_sidd_teacher.py'
teacher_checkpoint = 'work_dirs/nafnet_sidd_teacher'
model = dict(teacher_checkpoint=teacher_checkpoint)
train_dataloader = dict(_delete_=True, **_base_.sidd_train_dataloader)
library_dataloader = _base_.sidd_val_dataloader
custom_hooks = [
    dict(type='mmdonna.BlockLibraryHook', dataloader=library_dataloader)
]
train_cfg = dict(max_iters=4000)
param_scheduler = dict(T_max=4000)
