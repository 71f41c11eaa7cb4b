# Option sets for restoration bodies (mmagic editors). Every family keeps the
# resolution and has no BatchNorm; a list value is a grid axis (one option per
# combination, see mmdonna.search_space.expand_options).
restoration_options = [
    # EDSR residual block: kernel x inner width (cheaper at 0.5), and a deeper
    # thin variant -> 5 options
    dict(type='EDSRBlock', kernel=[3, 5], width=[0.5, 1.0]),
    dict(type='EDSRBlock', kernel=3, width=0.5, depth=2),
    # depthwise-separable: the cheapest spatial mixing -> 2 options
    dict(type='DWSepBlock', kernel=[3, 5], expand=2),
    # RCAN channel attention -> 2 options
    dict(type='RCABlock', kernel=3, width=[0.5, 1.0]),
    # Restormer transposed attention, linear in H x W -> 1 option
    dict(type='MDTABlock', heads=1, ffn_expand=2),
]
