# scikit-learn's 8x8 digits, upscaled (built in, no download): see
# mmdonna.datasets.DigitsDataset.
dataset_type = 'mmdonna.DigitsDataset'
img_size = 32
data_preprocessor = dict(
    num_classes=10,
    # mean/std of the upscaled digits pixels (0..255)
    mean=[78.0, 78.0, 78.0],
    std=[96.0, 96.0, 96.0],
    to_rgb=False)

train_pipeline = [dict(type='PackInputs')]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        split='train',
        img_size=img_size,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        split='val',
        img_size=img_size,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        split='test',
        img_size=img_size,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_evaluator = val_evaluator
