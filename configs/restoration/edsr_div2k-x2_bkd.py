# BKD of the EDSR x2 teacher on DIV2K, library scored on Set5 (see
# edsr_skimage-x2_bkd.py for the method and ../_base_/datasets/div2k_sr.py
# for the data layout).
_base_ = [
    './edsr_skimage-x2_bkd.py',
    '../_base_/datasets/div2k_sr.py',
]
teacher_config = '{{ fileDirname }}/edsr_div2k-x2_teacher.py'
teacher_checkpoint = 'work_dirs/edsr_div2k-x2_teacher'
model = dict(teacher_checkpoint=teacher_checkpoint)
train_dataloader = dict(_delete_=True, **_base_.div2k_sr_train_dataloader)
library_dataloader = _base_.div2k_sr_val_dataloader
custom_hooks = [
    dict(type='mmdonna.BlockLibraryHook', dataloader=library_dataloader)
]
# ~2 epochs of DIV2K's 32k sub-images at batch 16
train_cfg = dict(max_iters=4000)
param_scheduler = dict(T_max=4000)
