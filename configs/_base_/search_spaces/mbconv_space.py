# Reusable option sets. A list value is a grid axis: one option per
# combination (mmdonna.search_space.expand_options).

# Micro choices of the inverted-residual family (DONNA's MobileNet space):
# 3 kernels x 2 expansions x 2 depths = 12 options.
mbconv_options = [
    dict(type='MBConv', kernel=[3, 5, 7], expand=[3, 6], depth=[1, 2])
]

# DONNA's point is diverse *macro* choices too: add squeeze-excite / HSwish
# variants, a ResNet-style block and a small attention block.
diverse_options = [
    dict(type='MBConv', kernel=[3, 5], expand=[3, 6], depth=[1, 2]),
    dict(type='MBConv', kernel=3, expand=4, depth=1, se=True, act='HSwish'),
    dict(type='ResBlock', kernel=3, depth=1),
    dict(type='ResBlock', kernel=3, depth=1, groups=4, width=0.5),
    dict(type='AttentionBlock', heads=2, depth=1, mlp_ratio=2),
]

# The same for teachers whose blocks end linearly (MobileNetV2's projection
# conv has no activation): the ResNet blocks without their final ReLU, which
# would make their output non-negative and the teacher's negative half
# unreachable (NSR stuck at ~0.55 on the digits MobileNetV2, which misranks
# architectures that use it).
linear_out_diverse_options = [
    dict(type='MBConv', kernel=[3, 5], expand=[3, 6], depth=[1, 2]),
    dict(type='MBConv', kernel=3, expand=4, depth=1, se=True, act='HSwish'),
    dict(type='ResBlock', kernel=3, depth=1, out_act=None),
    dict(
        type='ResBlock', kernel=3, depth=1, groups=4, width=0.5, out_act=None),
    dict(type='AttentionBlock', heads=2, depth=1, mlp_ratio=2),
]
