# The NAFNet denoiser search on SIDD: the teacher of nafnet_sidd_teacher.py
# (layout in ../_base_/datasets/sidd_denoising.py) with the donna section of
# the built-in search.
#   python tools/search.py configs/restoration/nafnet_sidd_search.py
_base_ = ['./nafnet_sidd_teacher.py']

donna = dict(
    blocks=[
        'generator.encoders.0', 'generator.encoders.1',
        'generator.middle_blks', 'generator.decoders.0',
        'generator.decoders.1'
    ],
    options='restoration',
    input_shape=(3, 256, 256),
    bkd=dict(iters=4000, num_sampled=3),
    latency=dict(targets=[dict(warmup=3, repeats=10)]),
    surrogate=dict(normalize='mean'),
    finetune=dict(
        models=['fastest', 'middle', 'best'], iters=5000, lr=1e-4),
)
