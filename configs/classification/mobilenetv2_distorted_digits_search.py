# DONNA / DONNAv2 on the distorted digits (see
# mobilenetv2_distorted_digits_teacher.py): the digits search with the data
# replaced. Used by benchmarks/surrogate_ranking.py; runs as any config:
#   python tools/search.py configs/classification/\
#       mobilenetv2_distorted_digits_search.py
_base_ = ['./mobilenetv2_digits_search.py']

distort = dict(copies=4)
train_dataloader = dict(dataset=dict(distort=distort))
val_dataloader = dict(dataset=dict(distort=distort))
test_dataloader = dict(dataset=dict(distort=distort))
# 4x the digits per epoch: 4 BKD epochs are ~2x the demo's updates
donna = dict(bkd=dict(epochs=4))
