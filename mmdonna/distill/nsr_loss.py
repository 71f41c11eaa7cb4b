"""Noise-to-signal ratio (NSR), the BKD loss and the block-library score.

DONNA (arXiv 2012.08859, eq. 1) distils every block with a per-channel
noise-to-signal ratio: for each output channel ``c`` the mean squared error
divided by the variance of the teacher's channel ``c`` (over batch and
space), averaged over the channels. Every channel weighs the same whatever its
mean or scale. The energy form ``||T - S||^2 / ||T||^2`` of earlier mmdonna
versions is kept as the named alternative ``form='energy'``.
"""
from typing import Dict, Optional

import numpy as np
import torch
from torch import nn

from mmdonna.registry import MODELS

#: NSR forms: DONNA's per-channel ratio and the energy ratio.
NSR_FORMS = ('channel', 'energy')
#: A teacher channel's variance is floored at this share of the mean channel
#: variance of the block: a dead (constant) channel would otherwise divide
#: by ~0 and one such channel would decide the whole loss.
VAR_FLOOR = 1e-3


def check_form(form: str, key: str = 'nsr_form') -> str:
    if form not in NSR_FORMS:
        raise ValueError(f'{key}={form!r}; use one of {NSR_FORMS}')
    return form


def _channels_first(t: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """(N, C, ...) (``dim=1``) or (N, L, C) (``dim=-1``) -> (C, rest) in
    float."""
    t = t.float().movedim(dim, 0)
    return t.reshape(t.shape[0], -1)


def channel_nsr(student: torch.Tensor,
                teacher: torch.Tensor,
                var_floor: float = VAR_FLOOR,
                dim: int = 1) -> torch.Tensor:
    """DONNA's NSR: mean over channels of MSE_c / Var(T_c), with the
    statistics over batch and space (or tokens) of this batch.

    Args:
        student (Tensor): (N, C, ...) student output, or (N, L, C) tokens
            with ``dim=-1``.
        teacher (Tensor): The teacher output, same shape.
        var_floor (float): Floor of a channel's variance, relative to the
            mean channel variance. Defaults to :data:`VAR_FLOOR`.
        dim (int): The channel axis: 1 for NCHW, -1 for (N, L, C) tokens.
            Defaults to 1.

    Returns:
        Tensor: a scalar.
    """
    _check(student, teacher)
    s, t = _channels_first(student, dim), _channels_first(teacher, dim)
    mse = (t - s).pow(2).mean(1)
    var = t.var(1, unbiased=False)
    return (mse / floored(var, var_floor)).mean()


def floored(var: torch.Tensor, var_floor: float = VAR_FLOOR) -> torch.Tensor:
    """Channel variances floored at ``var_floor`` x their mean (and 1e-12)."""
    return var.clamp_min(var.mean().item() * var_floor + 1e-12)


def energy_nsr(student: torch.Tensor,
               teacher: torch.Tensor,
               eps: float = 1e-8) -> torch.Tensor:
    """Per-sample ``||T - S||^2 / ||T||^2``: (N,) ratios."""
    _check(student, teacher)
    s = student.flatten(1).float()
    t = teacher.flatten(1).float()
    return (t - s).pow(2).sum(1) / t.pow(2).sum(1).clamp_min(eps)


def nsr(student: torch.Tensor,
        teacher: torch.Tensor,
        form: str = 'channel',
        dim: int = 1) -> torch.Tensor:
    """The batch NSR of ``form`` (see :data:`NSR_FORMS`), a scalar; ``dim``
    is the channel axis (1 for NCHW, -1 for (N, L, C) tokens)."""
    if form == 'channel':
        return channel_nsr(student, teacher, dim=dim)
    if form == 'energy':
        return energy_nsr(student, teacher).mean()
    raise ValueError(f'nsr form={form!r}; use one of {NSR_FORMS}')


def _check(student: torch.Tensor, teacher: torch.Tensor) -> None:
    if student.shape != teacher.shape:
        raise ValueError(f'NSR needs equal shapes, got student '
                         f'{tuple(student.shape)} and teacher '
                         f'{tuple(teacher.shape)}')


class NSRAccumulator:
    """The NSR of one option over a whole held-out set, batch by batch.

    ``'channel'`` pools per-channel sums of the squared error, the teacher
    and the teacher squared, so the result is exactly DONNA's ratio over the
    set (not a mean of batch ratios); ``'energy'`` pools per-sample ratios.
    The per-batch NSRs are kept for a spread (``std``). The state is plain
    lists, so it resumes from JSON.

    Args:
        form (str): One of :data:`NSR_FORMS`. Defaults to 'channel'.
        state (dict, optional): A state from :meth:`state_dict`.
        dim (int): The channel axis: 1 for NCHW, -1 for (N, L, C) tokens.
            Defaults to 1.
    """

    def __init__(self,
                 form: str = 'channel',
                 state: Optional[dict] = None,
                 dim: int = 1):
        self.form = check_form(form)
        self.dim = dim
        self.state = state or dict(
            count=0, sq_err=None, t_sum=None, t_sq=None, batches=[])

    def update(self, student: torch.Tensor, teacher: torch.Tensor) -> None:
        st = self.state
        st['samples'] = st.get('samples', 0) + int(teacher.shape[0])
        if self.form == 'energy':
            r = energy_nsr(student, teacher).cpu().double().numpy()
            st['sq_err'] = (st['sq_err'] or 0.0) + float(r.sum())
            st['count'] += int(r.size)
            st['batches'].append(float(r.mean()))
            return
        _check(student, teacher)
        s = _channels_first(student, self.dim)
        t = _channels_first(teacher, self.dim)
        sums = [(t - s).pow(2).sum(1), t.sum(1), t.pow(2).sum(1)]
        for key, v in zip(('sq_err', 't_sum', 't_sq'), sums):
            v = v.double().cpu().numpy()
            st[key] = (v if st[key] is None else np.asarray(st[key]) +
                       v).tolist()
        st['count'] += int(t.shape[1])
        st['batches'].append(
            float(channel_nsr(student, teacher, dim=self.dim)))

    def value(self) -> float:
        st = self.state
        if not st['count']:
            raise ValueError('NSR of no samples')
        if self.form == 'energy':
            return st['sq_err'] / st['count']
        n = st['count']
        mse = np.asarray(st['sq_err']) / n
        mean = np.asarray(st['t_sum']) / n
        var = np.maximum(np.asarray(st['t_sq']) / n - mean**2, 0)
        var = np.maximum(var, var.mean() * VAR_FLOOR + 1e-12)
        return float((mse / var).mean())

    def std(self) -> float:
        """Spread of the per-batch NSRs."""
        return float(np.std(self.state['batches']))

    def state_dict(self) -> Dict:
        return self.state


@MODELS.register_module()
class NSRLoss(nn.Module):
    """The batch NSR (DONNA's per-channel form by default), times
    ``loss_weight``.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        form (str): One of :data:`NSR_FORMS`. Defaults to 'channel'.
        channel_dim (int): The channel axis: 1 for NCHW features, -1 for
            (N, L, C) tokens. Defaults to 1.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 form: str = 'channel',
                 channel_dim: int = 1):
        super().__init__()
        self.loss_weight = loss_weight
        self.form = check_form(form, 'NSRLoss.form')
        if channel_dim not in (1, -1):
            raise ValueError(f'NSRLoss.channel_dim={channel_dim!r}; use 1 '
                             f'(NCHW) or -1 (N, L, C tokens)')
        self.channel_dim = channel_dim

    def forward(self, student: torch.Tensor,
                teacher: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * nsr(student, teacher, self.form,
                                      self.channel_dim)
