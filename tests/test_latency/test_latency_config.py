"""The ``latency`` config key: building, choosing and naming targets."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmdonna.latency import (DEFAULT_LATENCY, AdbEstimator, FlopsEstimator,
                             LatencyConfigError, OnnxRuntimeEstimator,
                             build_estimator, build_targets, latency_settings,
                             lut_path, select_target)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_default_is_one_single_thread_host_target():
    settings = latency_settings(None)
    assert settings == DEFAULT_LATENCY and settings is not DEFAULT_LATENCY
    (target, ) = build_targets(settings)
    assert isinstance(target, OnnxRuntimeEstimator)
    assert target.target_id == 'host-ort-cpu-1t-cputime'
    assert target.intra_op_threads == 1 and target.inter_op_threads == 1
    # the documented host target config is the same target
    host = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'latency',
                 'host_ort.py')).latency.to_dict()
    assert dict(host, input_shape=None) == DEFAULT_LATENCY


def test_build_by_type_or_backend_without_touching_the_config():
    cfg = dict(type='mmdonna.FlopsEstimator', throughput_gflops=2.0)
    est = build_estimator(cfg)
    assert isinstance(est, FlopsEstimator) and est.throughput_gflops == 2.0
    assert cfg == dict(type='mmdonna.FlopsEstimator', throughput_gflops=2.0)
    adb = build_estimator(dict(backend='adb', serial='R58M'))
    assert isinstance(adb, AdbEstimator) and adb.target_id == 'adb-R58M'


@pytest.mark.parametrize('cfg,match', [
    (dict(backend='tensorrt'), r"backend='tensorrt' is unknown"),
    (dict(type='mmdonna.NoSuchEstimator'), 'is not a latency estimator'),
    (dict(type='mmdonna.DonnaSupernet'), 'is not a latency estimator'),
    (dict(type='mmdonna.OnnxRuntimeEstimator', repeat=3), 'repeat'),
    (dict(backend='flops', type='mmdonna.AdbEstimator'), 'keep one'),
])
def test_unknown_target_or_backend_is_one_line(cfg, match):
    with pytest.raises(LatencyConfigError, match=match) as e:
        build_estimator(cfg, 'latency.targets[1]')
    assert 'latency.targets[1]' in str(e.value)
    assert '\n' not in str(e.value)


def test_settings_errors():
    with pytest.raises(LatencyConfigError, match='unknown key'):
        latency_settings(dict(target=[]))
    with pytest.raises(LatencyConfigError, match='empty'):
        latency_settings(dict(targets=[]))
    with pytest.raises(LatencyConfigError, match='list of dicts'):
        latency_settings(dict(targets=dict(type='mmdonna.FlopsEstimator')))
    two = latency_settings(
        dict(targets=[dict(
            backend='flops'), dict(backend='flops')]))
    with pytest.raises(LatencyConfigError, match='duplicate target ids'):
        build_targets(two)


def test_select_target_and_lut_path():
    settings = latency_settings(
        dict(
            targets=[
                dict(backend='onnxruntime'),
                dict(backend='flops', target_id='gflops/2'),
            ],
            lut_file='latency_lut.{target_id}.json'))
    targets = build_targets(settings)
    assert select_target(targets) is targets[0]
    assert select_target(targets, 'gflops/2') is targets[1]
    assert select_target(targets, 'flops') is targets[1]
    assert select_target(targets, '0') is targets[0]
    with pytest.raises(LatencyConfigError, match='matches no target') as e:
        select_target(targets, 'adb-R58M')
    assert "'host-ort-cpu-1t'" in str(e.value)
    assert lut_path(settings, 'wd',
                    'gflops/2') == ('wd/latency_lut.gflops_2.json')
    settings['lut_file'] = 'latency_lut.json'
    with pytest.raises(LatencyConfigError, match='target_id'):
        lut_path(settings, 'wd', 'flops')
