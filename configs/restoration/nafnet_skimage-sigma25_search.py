# DONNA on mmagic's stock NAFNet denoiser (nafnet_skimage-sigma25_teacher.py,
# unchanged): the U-Net stages are searched; intro, ending and skips stay.
#   python tools/search.py configs/restoration/nafnet_skimage-sigma25_search.py
_base_ = ['./nafnet_skimage-sigma25_teacher.py']

donna = dict(
    # stages at full, 1/2 and 1/4 resolution
    blocks=[
        'generator.encoders.0', 'generator.encoders.1',
        'generator.middle_blks', 'generator.decoders.0',
        'generator.decoders.1'
    ],
    options='restoration',
    input_shape=(3, 256, 256),
    bkd=dict(iters=1500, num_sampled=3),
    latency=dict(targets=[dict(warmup=3, repeats=10)]),
    # stages at 1/2 and 1/4 resolution have other NSR scales: without 'mean'
    # the sum would hardly see some of them
    surrogate=dict(normalize='mean'),
    finetune=dict(
        models=['fastest', 'middle', 'best'], iters=600, lr=1e-4),
)
