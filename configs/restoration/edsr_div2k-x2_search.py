# The EDSR x2 search on real data: the teacher of edsr_div2k-x2_teacher.py
# (DIV2K sub-images, Set5 for validation and the block library; layout in
# ../_base_/datasets/div2k_sr.py) with the donna section of the built-in
# search.
#   python tools/search.py configs/restoration/edsr_div2k-x2_search.py
_base_ = ['./edsr_div2k-x2_teacher.py']

donna = dict(
    blocks=[f'generator.body.{i}' for i in range(4)],
    options='restoration',
    input_shape=(3, 256, 256),
    # ~2 epochs of DIV2K's 32k sub-images at batch 16
    bkd=dict(iters=4000, num_sampled=3),
    latency=dict(targets=[dict(warmup=3, repeats=10)]),
    surrogate=dict(normalize='mean'),
    finetune=dict(
        models=['fastest', 'middle', 'best'], iters=5000, lr=1e-4),
)
