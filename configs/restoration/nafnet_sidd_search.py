# The NAFNet denoiser search on SIDD (see nafnet_skimage-sigma25_search.py
# for the stages and ../_base_/datasets/sidd_denoising.py for the layout).
#   python tools/search.py configs/restoration/nafnet_sidd_search.py
_base_ = [
    './nafnet_skimage-sigma25_search.py',
    '../_base_/datasets/sidd_denoising.py',
]
teacher_config = '{{ fileDirname }}/nafnet_sidd_teacher.py'
teacher_checkpoint = 'work_dirs/nafnet_sidd_teacher'
model = dict(teacher_checkpoint=teacher_checkpoint)
train_dataloader = dict(_delete_=True, **_base_.sidd_train_dataloader)
bkd_custom_hooks = [
    dict(
        type='mmdonna.BlockLibraryHook',
        dataloader=_base_.sidd_val_dataloader)
]
bkd_train_cfg = dict(max_iters=4000)
bkd_param_scheduler = dict(T_max=4000)
