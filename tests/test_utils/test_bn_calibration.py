"""BN recalibration: stale statistics are re-estimated, weights untouched,
modes and momentum restored, and a second run gives the same result."""
import torch
from torch import nn

from mmdonna.utils.bn_calibration import (bn_state, recalibrate_bn,
                                          seeded_loader)


def _net():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8, momentum=0.01), nn.ReLU(),
        nn.Dropout(0.5), nn.Conv2d(8, 4, 1), nn.BatchNorm2d(4))


def _batches():
    g = torch.Generator().manual_seed(1)
    return [torch.randn(6, 3, 8, 8, generator=g) * 3 + 2 for _ in range(5)]


def test_recalibration_replaces_stale_statistics_and_is_idempotent():
    net = _net().eval()
    weights = {
        k: v.clone()
        for k, v in net.state_dict().items()
        if 'running' not in k and 'tracked' not in k
    }
    stale = bn_state(net)
    batches = _batches()
    assert recalibrate_bn(net, net, batches) == len(batches)
    first = bn_state(net)
    # the data's statistics: mean of conv outputs over all batches
    with torch.no_grad():
        feats = torch.cat([net[0](b) for b in batches])
    torch.testing.assert_close(
        first['1.running_mean'], feats.mean((0, 2, 3)), rtol=1e-4, atol=1e-4)
    assert not torch.allclose(first['1.running_mean'], stale['1.running_mean'])
    # weights untouched, modes and momentum restored
    for k, v in weights.items():
        assert torch.equal(net.state_dict()[k], v)
    assert not any(m.training for m in net.modules())
    assert net[1].momentum == 0.01
    # idempotent: the same batches give the same statistics
    recalibrate_bn(net, net, batches)
    for k, v in bn_state(net).items():
        torch.testing.assert_close(v, first[k])


def test_dropout_stays_in_eval_mode_during_recalibration():
    net = _net().eval()
    seen = []
    net[3].register_forward_hook(lambda m, i, o: seen.append(m.training))
    recalibrate_bn(net, net, _batches()[:2])
    assert seen == [False, False]


def test_no_bn_layer_runs_nothing():
    net = nn.Sequential(nn.Conv2d(3, 3, 1))
    calls = []
    assert recalibrate_bn(net, calls.append, _batches()) == 0
    assert calls == []


def test_seeded_loader_fixes_the_shuffle_seed_only():
    """A shuffling sampler without a seed gets ``randomness.seed`` (else
    0): the calibration batches must not depend on the process's RNG."""
    cfg = dict(batch_size=4, sampler=dict(type='DefaultSampler', shuffle=True))
    out = seeded_loader(cfg, dict(seed=7))
    assert out['sampler']['seed'] == 7 and 'seed' not in cfg['sampler']
    assert seeded_loader(cfg, None)['sampler']['seed'] == 0
    given = dict(sampler=dict(type='mmengine.DefaultSampler', seed=3))
    assert seeded_loader(given, dict(seed=7))['sampler']['seed'] == 3
    other = dict(sampler=dict(type='MySampler'))
    assert 'seed' not in seeded_loader(other, dict(seed=7))['sampler']
    assert seeded_loader(dict(batch_size=1), None) == dict(batch_size=1)
