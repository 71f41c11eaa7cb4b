"""Named option sets: ``options='mbconv'`` in a ``donna`` section.

A list value in an option is a grid axis: one option per combination
(:func:`mmdonna.search_space.expand_options`). Register your own with
:func:`register_option_set`, or write the list in the config.
"""
import copy
from typing import Dict, List, Union

from .builder import SearchSpaceError

OPTION_SETS: Dict[str, List[dict]] = dict(
    # Micro choices of the inverted-residual family (DONNA's MobileNet
    # space): 3 kernels x 2 expansions x 2 depths = 12 options.
    mbconv=[
        dict(type='MBConv', kernel=[3, 5, 7], expand=[3, 6], depth=[1, 2])
    ],
    # DONNA's point is diverse *macro* choices too: squeeze-excite / HSwish
    # variants, a ResNet-style block and a small attention block
    # (12 options).
    diverse=[
        dict(type='MBConv', kernel=[3, 5], expand=[3, 6], depth=[1, 2]),
        dict(
            type='MBConv', kernel=3, expand=4, depth=1, se=True, act='HSwish'),
        dict(type='ResBlock', kernel=3, depth=1),
        dict(type='ResBlock', kernel=3, depth=1, groups=4, width=0.5),
        dict(type='AttentionBlock', heads=2, depth=1, mlp_ratio=2),
    ],
    # The same for teachers whose blocks end linearly (MobileNetV2's
    # projection conv has no activation): the ResNet blocks without their
    # final ReLU, which would make their output non-negative and the
    # teacher's negative half unreachable (NSR stuck at ~0.55 on the digits
    # MobileNetV2, which misranks architectures that use it).
    diverse_linear_out=[
        dict(type='MBConv', kernel=[3, 5], expand=[3, 6], depth=[1, 2]),
        dict(
            type='MBConv', kernel=3, expand=4, depth=1, se=True, act='HSwish'),
        dict(type='ResBlock', kernel=3, depth=1, out_act=None),
        dict(
            type='ResBlock',
            kernel=3,
            depth=1,
            groups=4,
            width=0.5,
            out_act=None),
        dict(type='AttentionBlock', heads=2, depth=1, mlp_ratio=2),
    ],
    # Restoration bodies (mmagic editors): every family keeps the resolution
    # and has no BatchNorm (10 options).
    restoration=[
        # EDSR residual block: kernel x inner width, and a deeper thin one
        dict(type='EDSRBlock', kernel=[3, 5], width=[0.5, 1.0]),
        dict(type='EDSRBlock', kernel=3, width=0.5, depth=2),
        # depthwise-separable: the cheapest spatial mixing
        dict(type='DWSepBlock', kernel=[3, 5], expand=2),
        # RCAN channel attention
        dict(type='RCABlock', kernel=3, width=[0.5, 1.0]),
        # Restormer transposed attention, linear in H x W
        dict(type='MDTABlock', heads=1, ffn_expand=2),
    ],
    # Token blocks ((N, L, C), a ViT / DeiT encoder layer): a pre-norm
    # attention + MLP layer over heads x MLP widths, and the cheap MLP-only
    # layer (no attention) over MLP widths (6 options).
    tokens=[
        dict(type='TokenAttention', num_heads=[1, 2], mlp_ratio=[2, 4]),
        dict(type='TokenMLP', mlp_ratio=[1, 2]),
    ],
    # Token blocks on a grid (a Swin block, called ``block(x, hw_shape)``):
    # window attention over heads x window sizes (the teacher's window and
    # the whole small map), a depthwise-conv mixer over kernels (the cheap
    # spatial mixing) and the MLP-only layer (7 options).
    window_tokens=[
        dict(
            type='TokenWindowAttention',
            num_heads=[1, 2],
            window_size=[2, 4],
            mlp_ratio=2),
        dict(type='TokenConvMixer', kernel=[3, 5], mlp_ratio=2),
        dict(type='TokenMLP', mlp_ratio=2),
    ],
)


def register_option_set(name: str,
                        options: List[dict],
                        force: bool = False) -> None:
    """Make ``options`` available as ``options=name``.

    Raises:
        SearchSpaceError: ``name`` is taken and ``force`` is False.
    """
    if name in OPTION_SETS and not force:
        raise SearchSpaceError(f'option set {name!r} exists; pass force=True '
                               f'to replace it')
    OPTION_SETS[name] = copy.deepcopy(list(options))


def option_set(options: Union[str, List[dict]],
               key: str = 'options') -> List[dict]:
    """A registered set by name, or the list itself (a copy).

    Raises:
        SearchSpaceError: an unknown name, in one line naming ``key`` and
            the registered sets.
    """
    if isinstance(options, str):
        if options not in OPTION_SETS:
            raise SearchSpaceError(
                f'{key}={options!r} is not a registered option set; use one '
                f'of {sorted(OPTION_SETS)} or a list of option dicts')
        return copy.deepcopy(OPTION_SETS[options])
    if not isinstance(options, (list, tuple)) or not options:
        raise SearchSpaceError(
            f'{key} must be an option set name or a non-empty list of option '
            f'dicts, got {options!r}')
    return [copy.deepcopy(dict(o)) for o in options]
