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
"""
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
