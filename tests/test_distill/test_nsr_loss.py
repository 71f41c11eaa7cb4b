"""DONNA's per-channel NSR against its definition on hand-made tensors."""
import numpy as np
import pytest
import torch

from mmdonna.distill import NSRLoss, nsr
from mmdonna.distill.nsr_loss import (VAR_FLOOR, NSRAccumulator, channel_nsr,
                                      energy_nsr)


def _by_definition(s, t):
    """mean_c mean((T_c - S_c)^2) / var(T_c), over batch and space."""
    s, t = s.double().numpy(), t.double().numpy()
    ratios = []
    var_all = [t[:, c].var() for c in range(t.shape[1])]
    floor = np.mean(var_all) * VAR_FLOOR + 1e-12
    for c in range(t.shape[1]):
        mse = ((t[:, c] - s[:, c])**2).mean()
        ratios.append(mse / max(t[:, c].var(), floor))
    return float(np.mean(ratios))


def test_channel_nsr_is_donnas_definition():
    g = torch.Generator().manual_seed(0)
    t = torch.randn(
        4, 6, 5, 5, generator=g) * torch.arange(1., 7.).view(
            1, 6, 1, 1) + torch.arange(6.).view(1, 6, 1, 1) * 10
    s = t + 0.3 * torch.randn(t.shape, generator=g)
    assert float(channel_nsr(s, t)) == pytest.approx(
        _by_definition(s, t), rel=1e-5)
    assert float(nsr(s, t)) == pytest.approx(_by_definition(s, t), rel=1e-5)
    assert float(channel_nsr(t, t)) == 0.0


def test_a_large_mean_channel_weighs_like_any_other():
    """Channel 0 has a mean of 100 and unit variance, channel 1 zero mean and
    unit variance; the same error in either gives the same NSR. With energy
    in the denominator the large mean hides the error of channel 0."""
    g = torch.Generator().manual_seed(1)
    base = torch.randn(8, 2, 4, 4, generator=g)
    base = (base - base.mean((0, 2, 3), keepdim=True)) / base.std(
        (0, 2, 3), unbiased=False, keepdim=True)
    t = base.clone()
    t[:, 0] += 100.0
    err = 0.5 * torch.randn(8, 1, 4, 4, generator=g)
    in_big = t.clone()
    in_big[:, :1] += err
    in_small = t.clone()
    in_small[:, 1:] += err
    a, b = float(channel_nsr(in_big, t)), float(channel_nsr(in_small, t))
    assert a == pytest.approx(b, rel=1e-5)
    assert a > 0.05
    # the energy form: the error under the large mean nearly vanishes
    assert float(energy_nsr(in_big, t).mean()) < 0.01 * a


def test_dead_channel_is_floored():
    t = torch.randn(4, 3, 4, 4)
    t[:, 2] = 0.0  # a dead teacher channel
    s = t.clone()
    s[:, 2] = 1e-3
    value = float(channel_nsr(s, t))
    assert np.isfinite(value) and value < 10


def test_accumulator_pools_the_whole_set():
    g = torch.Generator().manual_seed(2)
    t = torch.randn(12, 5, 3, 3, generator=g) + 3
    s = t + 0.2 * torch.randn(t.shape, generator=g)
    acc = NSRAccumulator('channel')
    for i in range(0, 12, 4):
        acc.update(s[i:i + 4], t[i:i + 4])
    # resumable from its (JSON) state
    again = NSRAccumulator('channel', acc.state_dict())
    assert again.value() == pytest.approx(float(channel_nsr(s, t)), rel=1e-6)
    assert again.std() > 0
    energy = NSRAccumulator('energy')
    energy.update(s, t)
    assert energy.value() == pytest.approx(
        float(energy_nsr(s, t).mean()), rel=1e-6)


def test_loss_module_and_bad_form():
    t = torch.randn(2, 3, 4, 4)
    s = t + 0.1
    assert float(NSRLoss(2.0)(s, t)) == pytest.approx(2 *
                                                      float(channel_nsr(s, t)))
    with pytest.raises(ValueError, match='NSRLoss.form'):
        NSRLoss(form='bogus')
    with pytest.raises(ValueError, match='equal shapes'):
        channel_nsr(s[:, :2], t)


def _tokens_pair(seed=3):
    """(N, L, C) tokens whose 4 channels have very different scales (the
    last axis), so the channel axis decides the NSR."""
    g = torch.Generator().manual_seed(seed)
    scale = torch.tensor([0.1, 1.0, 10.0, 100.0])
    t = torch.randn(3, 5, 4, generator=g) * scale
    s = t + 0.5 * torch.randn(t.shape, generator=g)
    return s, t


def test_token_nsr_uses_the_last_axis_as_channels():
    s, t = _tokens_pair()
    # the definition on (N, C, L): channels moved to dim 1
    want = _by_definition(s.transpose(1, 2), t.transpose(1, 2))
    assert float(channel_nsr(s, t, dim=-1)) == pytest.approx(want, rel=1e-5)
    assert float(nsr(s, t, 'channel', -1)) == pytest.approx(want, rel=1e-5)
    # dim 1 treats the 5 tokens as channels: another (wrong) number
    assert abs(float(channel_nsr(s, t)) - want) > 0.1 * want
    assert float(NSRLoss(channel_dim=-1)(s, t)) == pytest.approx(
        want, rel=1e-5)
    with pytest.raises(ValueError, match='NSRLoss.channel_dim=2'):
        NSRLoss(channel_dim=2)


def test_token_accumulator_pools_per_last_axis_channel():
    s, t = _tokens_pair(4)
    acc = NSRAccumulator('channel', dim=-1)
    acc.update(s[:2], t[:2])
    acc.update(s[2:], t[2:])
    assert len(acc.state_dict()['sq_err']) == 4  # one sum per channel C
    again = NSRAccumulator('channel', acc.state_dict(), dim=-1)
    assert again.value() == pytest.approx(
        float(channel_nsr(s, t, dim=-1)), rel=1e-6)
