# DONNA / DONNAv2 on the distorted digits (see
# mobilenetv2_distorted_digits_teacher.py): the digits search with the
# teacher, BKD data and block-library data replaced. Used by
# benchmarks/surrogate_ranking.py; runs as any search config:
#   python tools/search.py configs/classification/\
#       mobilenetv2_distorted_digits_search.py
_base_ = ['./mobilenetv2_digits_search.py']

distort = dict(copies=4)
teacher_config = '{{ fileDirname }}/mobilenetv2_distorted_digits_teacher.py'
teacher_checkpoint = 'work_dirs/mobilenetv2_distorted_digits_teacher'
model = dict(teacher_checkpoint=teacher_checkpoint)
train_dataloader = dict(dataset=dict(distort=distort))
library_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(
        type='mmdonna.DigitsDataset',
        split='val',
        img_size=32,
        distort=distort,
        pipeline=[dict(type='PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=False))
bkd_custom_hooks = [
    dict(type='mmdonna.BlockLibraryHook', dataloader=library_dataloader)
]
# 4x the digits per epoch: 4 BKD epochs are ~2x the demo's updates
bkd_train_cfg = dict(max_epochs=4)
bkd_param_scheduler = dict(T_max=4)
