# A harder built-in task for benchmarks/surrogate_ranking.py: the same
# scikit-learn digits, each rendered 4 times with a random affine warp and
# pixel noise (mmdonna.DigitsDataset distort=...; 5,032 train / 1,080 val
# images, deterministic). On the plain digits every student converges to
# 95-97 % and the ranking of architectures is training noise; here they
# spread. Stock mmpretrain MobileNetV2, as the demo teacher.
_base_ = ['./mobilenetv2_digits_teacher.py']

distort = dict(copies=4)
train_dataloader = dict(dataset=dict(distort=distort))
val_dataloader = dict(dataset=dict(distort=distort))
test_dataloader = dict(dataset=dict(distort=distort))
