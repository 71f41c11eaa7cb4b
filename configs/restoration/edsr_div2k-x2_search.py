# The EDSR x2 search on real data: BKD on DIV2K, library on Set5 (see
# edsr_skimage-x2_search.py for the stages and ../_base_/datasets/div2k_sr.py
# for the data layout).
#   python tools/search.py configs/restoration/edsr_div2k-x2_search.py
_base_ = [
    './edsr_skimage-x2_search.py',
    '../_base_/datasets/div2k_sr.py',
]
teacher_config = '{{ fileDirname }}/edsr_div2k-x2_teacher.py'
teacher_checkpoint = 'work_dirs/edsr_div2k-x2_teacher'
model = dict(teacher_checkpoint=teacher_checkpoint)
train_dataloader = dict(_delete_=True, **_base_.div2k_sr_train_dataloader)
bkd_custom_hooks = [
    dict(
        type='mmdonna.BlockLibraryHook',
        dataloader=_base_.div2k_sr_val_dataloader)
]
bkd_train_cfg = dict(max_iters=4000)
bkd_param_scheduler = dict(T_max=4000)
