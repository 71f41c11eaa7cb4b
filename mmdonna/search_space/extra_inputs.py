"""The adapter that lets a one-input option replace a block called with
several inputs.

A teacher block may be called with more than its main input (mmpretrain's
``SwinBlock`` is called ``block(x, hw_shape)``). Every option of such a
block is called the same way, by the supernet and by the base network of an
assembled model or an exported ``DonnaBackbone``. Families that use the
extra inputs say so with the class attribute ``takes_extra_inputs = True``
(``TokenWindowAttention``, ``TokenConvMixer``) and take them in their
``forward``; every other family gets :func:`ignore_extra_inputs` from
:func:`mmdonna.search_space.build_block`: a forward pre-hook that passes the
main input only. A hook, not a wrapper module, so the option's state-dict
keys are the same wherever it is built (exported weights load strictly).

A block may also return ``(y, *items)`` where every item is one of its
extra inputs passed through (a Swin stage returns ``(x, hw_shape)``):
:func:`extra_outputs_of` maps the items to the inputs they equal, and
:func:`pass_through_outputs` makes an option return them too in an
assembled model or an exported ``DonnaBackbone`` (hooks again).
"""
import copy
import inspect
from typing import Any, List, Sequence

import torch
from torch import nn


def _first_input_only(module: nn.Module, args: tuple, kwargs: dict):
    if args:
        if len(args) == 1 and not kwargs:
            return None  # a one-input call: unchanged
        return (args[0], ), {}
    if not kwargs:
        return None
    first = next(iter(kwargs))  # called with keywords only
    return (kwargs[first], ), {}


def _named_inputs_only(module: nn.Module, args: tuple, kwargs: dict):
    """Drop the inputs a family that takes extra inputs does not name in its
    ``forward`` (a Swin stage's ``do_downsample`` for a window-attention
    option taking ``(x, hw_shape)``)."""
    params = list(inspect.signature(module.forward).parameters.values())
    kinds = {p.kind for p in params}
    positional = [
        p for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    names = {p.name for p in params}
    new_args = args if inspect.Parameter.VAR_POSITIONAL in kinds else \
        args[:len(positional)]
    new_kwargs = kwargs if inspect.Parameter.VAR_KEYWORD in kinds else {
        k: v
        for k, v in kwargs.items() if k in names
    }
    if len(new_args) == len(args) and len(new_kwargs) == len(kwargs):
        return None
    return tuple(new_args), new_kwargs


def named_inputs_only(module: nn.Module, extra=None) -> nn.Module:
    """Make a family that takes extra inputs ignore those its ``forward``
    does not name (in place, once): with ``extra`` (``ExtraInputs``) only
    when the block's call has such inputs (a Swin stage's
    ``do_downsample``); a no-op for other families.

    Returns:
        nn.Module: ``module``.
    """
    if not takes_extra_inputs(module) or getattr(module, '_named_inputs_only',
                                                 False):
        return module
    if extra is not None and _named_inputs_only(module, (None, *extra.args),
                                                extra.kwargs) is None:
        return module  # it names every input of the call
    module.register_forward_pre_hook(_named_inputs_only, with_kwargs=True)
    module._named_inputs_only = True
    return module


def takes_extra_inputs(module: nn.Module) -> bool:
    """Whether ``module``'s family uses the block's extra inputs."""
    return bool(getattr(module, 'takes_extra_inputs', False))


def ignore_extra_inputs(module: nn.Module) -> nn.Module:
    """Make ``module(x, *args, **kwargs)`` run ``module(x)`` (in place,
    once; a no-op for a family that takes extra inputs).

    Returns:
        nn.Module: ``module``.
    """
    if takes_extra_inputs(module) or getattr(module, '_ignores_extra_inputs',
                                             False):
        return module
    module.register_forward_pre_hook(_first_input_only, with_kwargs=True)
    module._ignores_extra_inputs = True
    return module


def _has_tensor(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, (tuple, list)):
        return any(_has_tensor(v) for v in value)
    if isinstance(value, dict):
        return any(_has_tensor(v) for v in value.values())
    return False


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


def extra_outputs_of(items: Sequence[Any], extra, where: str) -> List[list]:
    """Map the items after a block's main output to the extra inputs they
    pass through: ``['args', i]`` (its i-th extra positional input) or
    ``['kwargs', name]``, the first that equals the item.

    Args:
        items (Sequence): The output items after the first.
        extra (ExtraInputs): The block's other inputs.
        where (str): The cut point, for the error.

    Raises:
        SearchSpaceError: An item is or holds a tensor, or equals no input.
    """
    mapping = []
    for k, item in enumerate(items, 1):
        found = None
        if not _has_tensor(item):
            candidates = [('args', i, a) for i, a in enumerate(extra.args)]
            candidates += [('kwargs', n, v) for n, v in extra.kwargs.items()]
            found = next(([kind, key] for kind, key, v in candidates
                          if not _has_tensor(v) and _equal(v, item)), None)
        if found is None:
            from .builder import SearchSpaceError
            what = ('a tensor' if _has_tensor(item) else
                    f'{item!r}, equal to none of its inputs')
            raise SearchSpaceError(
                f'{where} outputs a tuple of {len(items) + 1} whose item {k} '
                f'is {what}: cut points output one tensor, or a tuple '
                f'(tensor, *inputs passed through unchanged); cut at a '
                f'module that maps one feature map or token sequence to one')
        mapping.append(found)
    return mapping


def _remember_call(module: nn.Module, args: tuple, kwargs: dict):
    module._donna_call = (args, kwargs)
    return None


def _return_pass_through(module: nn.Module, args: tuple, kwargs: dict, output):
    call_args, call_kwargs = module.__dict__.pop('_donna_call', (args, kwargs))
    if call_args:
        rest_args, rest_kwargs = tuple(call_args[1:]), dict(call_kwargs)
    else:  # called with keywords only: the first is the main input
        rest_args, rest_kwargs = (), dict(call_kwargs)
        rest_kwargs.pop(next(iter(rest_kwargs), None), None)
    values = [
        rest_args[key] if kind == 'args' else rest_kwargs[key]
        for kind, key in module._donna_extra_outputs
    ]
    return (output, *values)


def pass_through_outputs(module: nn.Module,
                         extra_outputs: Sequence[Sequence]) -> nn.Module:
    """Make ``module(x, *args, **kwargs)`` return ``(y, *values)`` like a
    teacher block that passes some of its inputs through (in place, once;
    ``extra_outputs`` as :func:`extra_outputs_of` gives it). A pre-hook run
    before any other (before :func:`ignore_extra_inputs` strips the extra
    inputs) remembers the call; a forward hook adds the values, so the
    state-dict keys stay the option's own.

    Returns:
        nn.Module: ``module``.
    """
    if not extra_outputs or hasattr(module, '_donna_extra_outputs'):
        return module
    module._donna_extra_outputs = [list(m) for m in extra_outputs]
    module.register_forward_pre_hook(
        _remember_call, with_kwargs=True, prepend=True)
    module.register_forward_hook(_return_pass_through, with_kwargs=True)
    return module


def check_extra_outputs(value: Any, where: str) -> List[list]:
    """Validate an ``extra_outputs`` mapping read from a config (a list of
    ``['args', int]`` / ``['kwargs', str]``); one-line error naming
    ``where``."""
    ok = isinstance(value, (list, tuple)) and all(
        isinstance(m, (list, tuple)) and len(m) == 2 and (
            (m[0] == 'args' and isinstance(m[1], int)) or
            (m[0] == 'kwargs' and isinstance(m[1], str))) for m in value)
    if not ok:
        from .builder import SearchSpaceError
        raise SearchSpaceError(
            f"{where}={value!r}: use a list of ['args', index] / "
            f"['kwargs', name] naming the extra inputs the block returns "
            f'after its output (export the subnet again)')
    return [list(m) for m in value]


def keep_teacher_children(module: nn.Module, teacher_block: nn.Module,
                          names: Sequence[str]) -> nn.Module:
    """Give ``module`` (an option replacing ``teacher_block``) the teacher
    block's children ``names`` (in place; a copy of each): children its
    parent runs outside the block's forward (a Swin stage's
    ``downsample``, which ``SwinTransformer`` calls after the stage).

    Returns:
        nn.Module: ``module``.
    """
    for name in names:
        if name in module._modules:
            continue  # already there (an option built from the supernet's)
        if hasattr(module, name):
            from .builder import SearchSpaceError
            raise SearchSpaceError(
                f'option {type(module).__name__} has an attribute {name!r}, '
                f'the name of the teacher block child its parent runs; cut '
                f'at another module')
        module.add_module(name, copy.deepcopy(getattr(teacher_block, name)))
    return module
