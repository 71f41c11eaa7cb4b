# DONNA on mmagic's stock EDSR x2 (edsr_skimage-x2_teacher.py, unchanged):
# the body blocks are searched; head, upsampler and losses stay stock.
#   python tools/search.py configs/restoration/edsr_skimage-x2_search.py
_base_ = ['./edsr_skimage-x2_teacher.py']

donna = dict(
    blocks=[f'generator.body.{i}' for i in range(4)],
    options='restoration',
    # block shapes, library FLOPs and latency at a 256x256 input (a phone
    # photo tile); training uses the dataloader's small patches: every
    # option keeps the resolution, so the same weights run at any size
    input_shape=(3, 256, 256),
    # 3 of the 11 options per block and step: ~1.5x a teacher step
    bkd=dict(iters=1500, num_sampled=3),
    # a 256x256 body block runs for tens of ms: 10 timed runs after 3
    # warm-ups resolve it well
    latency=dict(targets=[dict(warmup=3, repeats=10)]),
    # the body blocks are alike: 'mean' keeps the scale comparable
    surrogate=dict(normalize='mean'),
    # the fastest, middle and best of the front, 600 iterations of KD from
    # the teacher's output image at a tenth of the teacher's rate
    finetune=dict(
        models=['fastest', 'middle', 'best'], iters=600, lr=1e-4),
)
