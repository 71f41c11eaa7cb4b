"""Module paths and option building with build-time shape checks."""
import copy
import difflib
import itertools
from typing import List, Optional, Sequence, Tuple

import torch
from torch import nn

from mmdonna.registry import MODELS
from mmdonna.utils.block_capture import ExtraInputs
from .extra_inputs import ignore_extra_inputs, named_inputs_only
from .upsample_block import UPSAMPLE_MODES, UpsampleBlock, upsample_channels


class SearchSpaceError(ValueError):
    """A search space that cannot be built (bad path, shape, option)."""


#: Upsampler of an option of a block that upsamples when the option has no
#: ``upsample`` key: a sub-pixel conv, like EDSR's (see :func:`build_block`).
DEFAULT_UPSAMPLE = UPSAMPLE_MODES[0]

#: The teacher's own block as an option ("keep this block as it is"): NSR 0
#: by construction, the teacher's weights, frozen during BKD.
TEACHER_OPTION = {'type': 'Teacher'}


def is_teacher_option(option: dict) -> bool:
    return dict(option) == TEACHER_OPTION


def with_teacher_option(options: Sequence[dict]) -> List[dict]:
    """``options`` plus the teacher option at the end (once)."""
    options = [dict(o) for o in options]
    if not any(is_teacher_option(o) for o in options):
        options.append(dict(TEACHER_OPTION))
    return options


def get_submodule(model: nn.Module, path: str, key: str = 'path') -> nn.Module:
    """``model.get_submodule(path)`` with an error that lists valid paths."""
    modules = dict(model.named_modules())
    if path in modules and path != '':
        return modules[path]
    parent = path.rsplit('.', 1)[0] if '.' in path else ''
    while parent and parent not in modules:
        parent = parent.rsplit('.', 1)[0] if '.' in parent else ''
    siblings = [(parent + '.' if parent else '') + n
                for n, _ in modules[parent].named_children()]
    close = difflib.get_close_matches(path, list(modules), n=3, cutoff=0.6)
    raise SearchSpaceError(
        f'{key}={path!r} is not a module of the teacher; valid paths under '
        f'{parent or "the model"!r}: {siblings}' +
        (f'; did you mean {close}?' if close else ''))


def set_submodule(model: nn.Module, path: str, module: nn.Module) -> None:
    """Replace the submodule at ``path`` (dotted) by ``module``."""
    parent, _, name = path.rpartition('.')
    owner = model.get_submodule(parent) if parent else model
    setattr(owner, name, module)


def expand_options(options: Sequence[dict]) -> List[dict]:
    """Expand option grids: list values become one option per combination.

    ``dict(type='MBConv', kernel=[3, 5], expand=[3, 6])`` gives four
    options, in ``itertools.product`` order of the keys as written.
    """
    out = []
    for opt in options:
        if not isinstance(opt, dict) or 'type' not in opt:
            raise SearchSpaceError(
                f'each option must be a dict with a "type" key, got {opt!r}')
        keys = [k for k, v in opt.items() if isinstance(v, (list, tuple))]
        if not keys:
            out.append(dict(opt))
            continue
        for values in itertools.product(*(opt[k] for k in keys)):
            o = dict(opt)
            o.update(zip(keys, values))
            out.append(o)
    return out


#: Layouts of a cut point's tensor: one feature map (N, C, H, W), whose
#: block shape is (C, H, W), or one token sequence (N, L, C) (ViT / DeiT
#: layers, the cls token included), whose block shape is (L, C).
LAYOUTS = ('nchw', 'tokens')


def layout_of(shape: Sequence[int]) -> str:
    """'nchw' for a (C, H, W) block shape, 'tokens' for an (L, C) one."""
    if len(shape) == 3:
        return 'nchw'
    if len(shape) == 2:
        return 'tokens'
    raise SearchSpaceError(
        f'a block shape is (C, H, W) or (L, C), got {tuple(shape)}')


def channels_of(shape: Sequence[int]) -> int:
    """Channels of a block shape: C of (C, H, W) or of (L, C)."""
    return int(shape[-1] if layout_of(shape) == 'tokens' else shape[0])


def channel_dim(shape: Sequence[int]) -> int:
    """The channel axis of a batch of ``shape``: 1 (NCHW) or -1 (tokens)."""
    return -1 if layout_of(shape) == 'tokens' else 1


def infer_scale(in_shape: Sequence[int],
                out_shape: Sequence[int]) -> Tuple[int, int]:
    """``(stride, upsample)`` of a block from its input and output shapes.

    A (C, H, W) block either keeps or reduces the resolution (``stride`` =
    the input height over the output height, rounded, at least 1;
    ``upsample`` 1) or upsamples by one integer factor ``s`` >= 2 in H and
    W (output ``s * H`` x ``s * W``: ``(1, s)``). A token block keeps its L:
    ``(1, 1)``.

    Raises:
        SearchSpaceError: the layouts differ, a token block changes L, or
            the output is larger than the input but not by one integer
            factor in H and W.
    """
    if layout_of(in_shape) != layout_of(out_shape):
        raise SearchSpaceError(
            f'a block takes and outputs one layout, got {tuple(in_shape)} -> '
            f'{tuple(out_shape)}')
    if layout_of(in_shape) == 'tokens':
        if in_shape[0] != out_shape[0]:
            raise SearchSpaceError(
                f'a token block keeps its sequence length L, got (L, C) '
                f'{tuple(in_shape)} -> {tuple(out_shape)}')
        return 1, 1
    (in_h, in_w), (out_h, out_w) = in_shape[-2:], out_shape[-2:]
    if out_h > in_h or out_w > in_w:
        scale = out_h // in_h
        if scale < 2 or (out_h, out_w) != (scale * in_h, scale * in_w):
            raise SearchSpaceError(
                f'a block that upsamples must do so by one integer factor s '
                f'in H and W (output s*H x s*W), got (C, H, W) '
                f'{tuple(in_shape)} -> {tuple(out_shape)}; cut at a module '
                f'whose output is s times its input in both, or keeps or '
                f'reduces the resolution')
        return 1, scale
    return max(1, round(in_h / out_h)), 1


def infer_stride(in_shape: Sequence[int], out_shape: Sequence[int]) -> int:
    """Integer spatial reduction from a (C, H, W) input to output (1 for a
    block that upsamples, see :func:`infer_scale`); 1 for a token block,
    which keeps its L.

    Raises:
        SearchSpaceError: see :func:`infer_scale`.
    """
    return infer_scale(in_shape, out_shape)[0]


def build_option(option: dict,
                 in_shape: Sequence[int],
                 out_shape: Sequence[int],
                 block: str = '?',
                 index: int = -1,
                 check: bool = True,
                 teacher_block: Optional[nn.Module] = None,
                 extra: Optional[ExtraInputs] = None) -> nn.Module:
    """Build one student option for a block and check its output shape.

    Args:
        option (dict): Option description, e.g. ``dict(type='MBConv',
            kernel=5)``; ``in_channels``/``out_channels``/``stride`` come from
            the teacher shapes (:func:`infer_scale`; a block that upsamples
            takes the key ``upsample``, see :func:`build_block`).
        in_shape (Sequence[int]): (C, H, W) the teacher block receives, or
            (L, C) for a token block.
        out_shape (Sequence[int]): (C, H, W) or (L, C) the teacher block
            produces.
        block (str): Block path, for error messages. Defaults to '?'.
        index (int): Option index, for error messages. Defaults to -1.
        check (bool): Run a dummy forward and compare shapes.
            Defaults to True.
        teacher_block (nn.Module, optional): The teacher's block; the
            teacher option (:data:`TEACHER_OPTION`) is a copy of it.
            Defaults to None.
        extra (ExtraInputs, optional): The block's other inputs (batch 1),
            passed to the dummy forward. Defaults to None (none).
    """
    if is_teacher_option(option):
        if teacher_block is None:
            raise SearchSpaceError(
                f'block {block!r} option {index} is the teacher option: '
                f'it is built from the teacher block, which was not given')
        return copy.deepcopy(teacher_block)
    try:
        stride, upsample = infer_scale(in_shape, out_shape)
    except SearchSpaceError as e:
        raise SearchSpaceError(f'block {block!r}: {e}') from None
    module = build_block(option, channels_of(in_shape), channels_of(out_shape),
                         stride, block, index, upsample)
    if extra is not None:  # drop inputs a family does not name
        named_inputs_only(module, extra)
    if check:
        try:
            out = _dummy_forward(module, in_shape, extra)
        except (RuntimeError, ValueError) as e:
            msg = str(e).strip().splitlines()[0]
            raise SearchSpaceError(
                f'block {block!r} option {index} {option} fails on a '
                f'{layout_of(in_shape)} input {tuple(in_shape)}: '
                f'{msg}') from None
        if tuple(out.shape[1:]) != tuple(out_shape):
            raise SearchSpaceError(
                f'block {block!r} option {index} {option} produces shape '
                f'{tuple(out.shape[1:])} but the teacher block produces '
                f'{tuple(out_shape)}; change the option or the cut point')
    return module


def build_block(option: dict,
                in_channels: int,
                out_channels: int,
                stride: int,
                block: str = '?',
                index: int = -1,
                upsample: int = 1) -> nn.Module:
    """Build one option module from channels and stride (no shape check).

    For a block that upsamples by ``upsample`` = s >= 2 (``stride`` 1),
    every option family works: the option is built with stride 1 at the
    input resolution and wrapped in an :class:`UpsampleBlock` whose
    upsampler the option's key ``upsample`` chooses (one of
    :data:`UPSAMPLE_MODES`; default 'pixel_shuffle', EDSR's sub-pixel
    upsampler: the option outputs ``out_channels * s**2`` channels, then
    ``nn.PixelShuffle(s)``; 'nearest' / 'bilinear': the option outputs
    ``out_channels``, then ``nn.Upsample``). A list value
    (``upsample=['pixel_shuffle', 'nearest']``) is a grid axis like any
    other key.

    Errors (unknown type or key, bad value, ``upsample`` on a block that
    does not upsample) become one line naming the block and the option.

    A family that does not use a block's extra inputs gets
    :func:`ignore_extra_inputs` (it is called ``option(x, *extra)`` like the
    teacher block and runs on ``x``).
    """
    cfg = dict(option)
    mode = cfg.pop('upsample', None)
    if upsample > 1 and stride != 1:
        raise SearchSpaceError(
            f'block {block!r}: a block that upsamples x{upsample} has stride '
            f'1, got stride={stride}')
    if upsample == 1 and mode is not None:
        raise SearchSpaceError(
            f'block {block!r} option {index} {option}: the key upsample is '
            f'for a block whose output is larger than its input; this one '
            f'keeps or reduces the resolution (stride {stride}): remove it')
    if upsample > 1:
        mode = DEFAULT_UPSAMPLE if mode is None else mode
        if mode not in UPSAMPLE_MODES:
            raise SearchSpaceError(
                f'block {block!r} option {index} {option}: upsample='
                f'{mode!r}; use one of {list(UPSAMPLE_MODES)}')
        out_channels = upsample_channels(out_channels, upsample, mode)
    cfg.update(
        _scope_='mmdonna',
        in_channels=in_channels,
        out_channels=out_channels,
        stride=stride)
    try:
        module = MODELS.build(cfg)
    except (TypeError, ValueError, KeyError) as e:
        msg = str(e).strip('\'"').splitlines()[0]
        raise SearchSpaceError(f'block {block!r} option {index} {option} '
                               f'cannot be built: {msg}') from None
    if upsample > 1:
        module = UpsampleBlock(module, upsample, mode)
    return ignore_extra_inputs(module)


@torch.no_grad()
def _dummy_forward(module: nn.Module,
                   in_shape: Sequence[int],
                   extra: Optional[ExtraInputs] = None) -> torch.Tensor:
    was_training = module.training
    module.eval()
    extra = extra or ExtraInputs.none()
    try:
        return extra.call(module, torch.zeros(1, *in_shape))
    finally:
        module.train(was_training)


def shape_of(t,
             where: str = 'a cut point',
             verb: str = 'outputs') -> Tuple[int, ...]:
    """(C, H, W) of a captured 4-D NCHW tensor, (L, C) of a 3-D (N, L, C)
    token tensor; a one-line error otherwise.

    Args:
        t: What the cut point took or returned.
        where (str): The cut point, for the error (e.g.
            ``"model.blocks[0].path='backbone.layer2'"``). Defaults to
            'a cut point'.
        verb (str): 'outputs' or 'receives', for the error. Defaults to
            'outputs'.

    Raises:
        SearchSpaceError: ``t`` is neither.
    """
    if isinstance(t, torch.Tensor) and t.dim() in (3, 4):
        return tuple(t.shape[1:])
    if isinstance(t, torch.Tensor):
        kind = f'a {t.dim()}-D tensor {tuple(t.shape)}'
    elif isinstance(t, (tuple, list)):
        kind = f'a {type(t).__name__} of {len(t)}'
    else:
        kind = type(t).__name__
    raise SearchSpaceError(
        f'{where} {verb} {kind}: cut points must take and output one NCHW '
        f'(N x C x H x W) tensor or one (N, L, C) token tensor; cut at a '
        f'module that maps one feature map or token sequence to one')
