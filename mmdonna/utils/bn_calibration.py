"""Re-estimate BatchNorm statistics with the weights untouched.

In BKD an option's running statistics move only on the steps where it was
sampled, and a short finetune leaves them behind its final weights: both
score and report a model whose eval-mode normalisation is stale. DONNA
re-estimates them on training data before anything is scored, measured or
reported. :func:`recalibrate_bn` resets every BN layer of a module, sets a
cumulative average (``momentum=None``) and runs training batches through it
with gradients off; only the BN layers switch to train mode (dropout and the
like stay in eval mode), and every mode and momentum is restored after.
"""
import copy
from contextlib import contextmanager
from typing import Callable, Dict, Iterable, Iterator, List, Optional

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from .model_call import tensor_call

#: Training batches used by default to re-estimate BN statistics.
DEFAULT_CALIB_BATCHES = 16


def bn_layers(module: nn.Module) -> List[_BatchNorm]:
    """Every BatchNorm layer with running statistics in ``module``."""
    return [
        m for m in module.modules()
        if isinstance(m, _BatchNorm) and m.track_running_stats
    ]


def bn_state(module: nn.Module) -> Dict[str, torch.Tensor]:
    """Copies of the running statistics of ``module``'s BN layers."""
    out = {}
    for name, m in module.named_modules():
        if isinstance(m, _BatchNorm) and m.track_running_stats:
            for b in ('running_mean', 'running_var', 'num_batches_tracked'):
                out[f'{name}.{b}'] = getattr(m, b).detach().clone()
    return out


def load_bn_state(module: nn.Module, state: Dict[str, torch.Tensor]) -> None:
    """Put statistics from :func:`bn_state` back."""
    for name, m in module.named_modules():
        if isinstance(m, _BatchNorm) and m.track_running_stats:
            for b in ('running_mean', 'running_var', 'num_batches_tracked'):
                getattr(m, b).copy_(state[f'{name}.{b}'])


@contextmanager
def bn_estimation(module: nn.Module, reset: bool = True) -> Iterator[None]:
    """Within the block, the BN layers of ``module`` accumulate a cumulative
    average of the batches that pass (``reset``: from nothing)."""
    layers = bn_layers(module)
    saved = [(m, m.training, m.momentum) for m in layers]
    try:
        for m in layers:
            if reset:
                m.reset_running_stats()
            m.momentum = None
            m.train()
        yield
    finally:
        for m, training, momentum in saved:
            m.momentum = momentum
            m.train(training)


@torch.no_grad()
def recalibrate_bn(module: nn.Module, forward: Callable[[object], object],
                   batches: Iterable) -> int:
    """Re-estimate the BN statistics of ``module`` from ``batches``.

    Args:
        module (nn.Module): The module whose BN layers are re-estimated
            (its weights are not changed). The rest of the network may run
            too (e.g. a frozen teacher producing the block inputs): only the
            layers of ``module`` change.
        forward (Callable): Runs one batch through the network.
        batches (Iterable): Training batches, in whatever form ``forward``
            takes.

    Returns:
        int: the number of batches used (0 when ``module`` has no BN layer;
        nothing then runs).
    """
    if not bn_layers(module):
        return 0
    n = 0
    with bn_estimation(module):
        for batch in batches:
            forward(batch)
            n += 1
    if n == 0:
        raise ValueError('BN recalibration got no batches: check the '
                         'training dataloader')
    return n


def take(loader: Iterable, num: int) -> Iterator:
    """The first ``num`` items of ``loader``."""
    for i, item in enumerate(loader):
        if i >= num:
            return
        yield item


def recalibrate_model_bn(model: nn.Module,
                         loader: Iterable,
                         num_batches: int = DEFAULT_CALIB_BATCHES,
                         module: Optional[nn.Module] = None) -> int:
    """Re-estimate the BN statistics of a whole mm model on ``num_batches``
    batches of ``loader`` (as a dataloader yields them): the model's data
    preprocessor (no training augmentation), then ``mode='tensor'`` with the
    batch's data samples.

    Args:
        model (nn.Module): An mm model (``data_preprocessor`` and
            ``forward(inputs, data_samples, mode)``).
        loader (Iterable): Training batches.
        num_batches (int): Batches to use. Defaults to
            :data:`DEFAULT_CALIB_BATCHES`.
        module (nn.Module, optional): The part whose statistics change,
            e.g. the student of a distillation wrapper whose frozen teacher
            does not run in ``mode='tensor'``. Defaults to the whole model.
    """
    was = model.training
    model.eval()

    def forward(data):
        data = model.data_preprocessor(data, False)
        tensor_call(model, data['inputs'], data.get('data_samples'))

    try:
        return recalibrate_bn(model if module is None else module, forward,
                              take(loader, num_batches))
    finally:
        model.train(was)


#: mmengine's samplers that shuffle with a ``seed`` argument.
SEEDED_SAMPLERS = ('DefaultSampler', 'InfiniteSampler')


def seeded_loader(loader: dict, randomness: Optional[dict]) -> dict:
    """A copy of a dataloader config whose shuffling sampler has a seed
    (``randomness.seed``, else 0): without one, mmengine's sampler draws its
    seed from the process's global RNG, so the BN calibration batches, and
    a one-shot score, would depend on what ran before in the process (a
    rerun after a kill scores differently)."""
    loader = copy.deepcopy(loader)
    sampler = loader.get('sampler')
    kind = sampler.get('type') if isinstance(sampler, dict) else None
    if (isinstance(kind, str) and kind.split('.')[-1] in SEEDED_SAMPLERS
            and sampler.get('seed') is None):
        sampler['seed'] = (randomness or {}).get('seed') or 0
    return loader
