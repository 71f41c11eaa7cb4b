"""Does a detector's searched backbone still fit its neck and head?"""
from typing import List, Sequence, Tuple

import torch
from torch import nn

from mmdonna.search_space.builder import SearchSpaceError
from mmdonna.utils.model_call import tensor_call


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]


def _channels(value) -> List[int]:
    if isinstance(value, int):
        return [value]
    return [int(v) for v in value]


def _guard_arch_inputs(backbone: nn.Module, ran: List[str]) -> list:
    """Hooks on every replaced block of a ``DonnaBackbone``: refuse an input
    whose channels differ from the block's recorded in_channels and append
    the paths that ran to ``ran``."""
    arch = getattr(backbone, 'arch', None)
    base = getattr(backbone, 'base', None)
    if not isinstance(arch, dict) or base is None:
        return []
    handles = []
    for path, spec in arch.items():

        def post(module, args, out, path=path):
            ran.append(path)

        def hook(module, args, path=path, spec=spec):
            got = int(args[0].shape[1])
            if got != int(spec['in_channels']):
                raise SearchSpaceError(
                    f'DonnaBackbone.arch[{path!r}] was searched for '
                    f'{spec["in_channels"]} input channels but model.backbone'
                    f'.base feeds it {got}; the base backbone config differs '
                    f'from the searched teacher: export the architecture '
                    f'again from a search over this backbone')

        block = base.get_submodule(path)
        handles.append(block.register_forward_pre_hook(hook))
        handles.append(block.register_forward_hook(post))
    return handles


@torch.no_grad()
def check_detector_fit(
        detector: nn.Module,
        input_shape: Sequence[int]) -> List[Tuple[int, int, int]]:
    """Run ``detector`` once at ``input_shape`` stage by stage and turn any
    mismatch into a one-line :class:`SearchSpaceError` naming the config key.

    Searched options always reproduce their teacher block's output shape, so
    a detector exported by mmdonna fits; this refuses one whose backbone
    outputs no longer match ``model.neck.in_channels`` (edited arch, another
    base backbone, another neck).

    Args:
        detector (nn.Module): An mmdet detector (``backbone``, optional
            ``neck``) or a wrapper with a ``student`` detector.
        input_shape (Sequence[int]): (C, H, W) of one input image.

    Returns:
        list[tuple]: (C, H, W) of every backbone output.
    """
    detector = getattr(detector, 'student', detector)
    if not hasattr(detector, 'backbone'):
        raise SearchSpaceError(
            f'{type(detector).__name__} has no backbone; check_detector_fit '
            f'needs an mmdet detector')
    was = detector.training
    detector.eval()
    x = torch.zeros(1, *input_shape)
    ran: List[str] = []
    handles = _guard_arch_inputs(detector.backbone, ran)
    try:
        try:
            feats = detector.backbone(x)
        except SearchSpaceError:
            raise
        except (RuntimeError, ValueError) as e:
            after = ''
            if ran:
                spec = detector.backbone.arch[ran[-1]]
                after = (f' after DonnaBackbone.arch[{ran[-1]!r}] '
                         f'(out_channels={spec["out_channels"]}, the base '
                         f'network expects otherwise: export the '
                         f'architecture again for this backbone)')
            raise SearchSpaceError(
                f'model.backbone fails at input {tuple(input_shape)}{after}:'
                f' {_first_line(e)}') from None
        feats = tuple(feats) if isinstance(feats, (list, tuple)) else (feats, )
        shapes = [tuple(int(s) for s in f.shape[1:]) for f in feats]
        got = [s[0] for s in shapes]
        neck = getattr(detector, 'neck', None)
        if neck is not None:
            # a searched neck (a DonnaBackbone) reads them with its base
            key = 'neck.base' if hasattr(neck, 'arch') else 'neck'
            want = getattr(getattr(neck, 'base', neck), 'in_channels', None)
            if want is not None and _channels(want) != got:
                raise SearchSpaceError(
                    f'the backbone outputs {got} channels but '
                    f'model.{key}.in_channels={_channels(want)}; use the '
                    f'backbone the architecture was searched in (its outputs '
                    f'keep the teacher\'s shapes) or set neck.in_channels to '
                    f'{got}')
            try:
                neck(feats)
            except (RuntimeError, ValueError, AssertionError) as e:
                raise SearchSpaceError(
                    f'model.neck does not fit the backbone outputs {shapes}: '
                    f'{_first_line(e)}') from None
        try:
            tensor_call(detector, x)
        except (RuntimeError, ValueError, AssertionError) as e:
            raise SearchSpaceError(
                f'the detector head does not fit the backbone/neck outputs '
                f'(backbone {shapes}): {_first_line(e)}') from None
    finally:
        for h in handles:
            h.remove()
        detector.train(was)
    return shapes
