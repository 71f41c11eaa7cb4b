"""OnnxRuntimeEstimator and FlopsEstimator on tiny modules; the pure timing
helpers."""
import logging

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from torch import nn

from mmdonna.latency import (FlopsEstimator, LatencyConfigError,
                             OnnxRuntimeEstimator, export_onnx,
                             parse_latency_ms, summarize_timings)
from mmdonna.latency.timing import RESULT_KEYS, merge_passes, passes_of


def _tiny():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())


class _NotExportable(nn.Module):

    def forward(self, x):
        return torch.linalg.eig(x)[0].real


def test_onnxruntime_measures_a_tiny_module():
    est = OnnxRuntimeEstimator(warmup=2, repeats=15, rounds=2)
    assert est.target_id == 'host-ort-cpu-1t'
    assert est.backend == 'onnxruntime'
    module = _tiny().train()
    r = est.measure(module, (1, 3, 16, 16))
    assert set(RESULT_KEYS) <= set(r)
    assert r['ok'] and r['error'] is None
    assert r['repeats'] == 30
    assert 0 < r['min_ms'] <= r['median_ms'] and r['mean_ms'] > 0
    assert r['cv'] >= 0 and r['std_ms'] >= 0
    assert module.training  # the caller's mode is restored
    # a bigger input of the same module costs more (robust statistic)
    big = est.measure(module, (1, 3, 128, 128))
    assert big['min_ms'] > r['min_ms']


def test_thread_cpu_clock_and_cache_flush():
    est = OnnxRuntimeEstimator(
        clock='thread_cpu', cache_flush_mb=1, warmup=1, repeats=5)
    assert est.target_id == 'host-ort-cpu-1t-cputime'
    assert est.meta()['clock'] == 'thread_cpu'
    small = est.measure(_tiny(), (1, 3, 16, 16))
    big = est.measure(_tiny(), (1, 3, 128, 128))
    assert small['ok'] and big['ok'] and small['repeats'] == 5
    assert big['min_ms'] > small['min_ms'] > 0


def test_export_failure_is_a_logged_skip(capfd):
    est = OnnxRuntimeEstimator(warmup=0, repeats=1)
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        r = est.measure(_NotExportable(), (2, 2))
    finally:
        logger.removeHandler(handler)
    assert r['ok'] is False and r['repeats'] == 0
    assert np.isnan(r['median_ms'])
    assert 'linalg_eig' in r['error'] and '\n' not in r['error']
    messages = [rec.getMessage() for rec in records]
    assert any('ONNX export failed: UnsupportedOperatorError' in m
               for m in messages)
    # the exporter's dump of the whole graph is silenced
    assert 'Torch IR graph' not in capfd.readouterr().out
    # and the estimator carries on
    assert est.measure(_tiny(), (1, 3, 8, 8))['ok']


def test_export_is_quiet_and_restores_mode():
    m = _tiny().train()
    onnx_bytes = export_onnx(m, (1, 3, 8, 8))
    assert onnx_bytes[:2] and m.training
    import onnx
    model = onnx.load_model_from_string(onnx_bytes)
    assert model.graph.input[0].name == 'input'


def test_tensor_forward_wrapper_leaves_an_eval_model_in_eval():
    from mmdonna.supernet.arch_model import TensorForward

    class _MMStyle(nn.Module):

        def __init__(self):
            super().__init__()
            self.body = _tiny()

        def forward(self, x, mode='tensor'):
            return self.body(x)

    model = _MMStyle().eval()  # e.g. a frozen teacher
    wrapper = TensorForward(model)
    assert not wrapper.training
    export_onnx(wrapper, (1, 3, 8, 8))
    assert not model.training and not model.body[1].training
    assert TensorForward(_MMStyle().train()).training


@pytest.mark.parametrize('kwargs,key', [
    (dict(providers=['NoSuchExecutionProvider']), 'providers'),
    (dict(repeats=0), 'repeats'),
    (dict(intra_op_threads=-1), 'intra_op_threads'),
    (dict(graph_optimization_level='max'), 'graph_optimization_level'),
    (dict(cpu_affinity=[9999]), 'cpu_affinity'),
    (dict(clock='cycles'), 'clock'),
    (dict(clock='thread_cpu', intra_op_threads=2), 'intra_op_threads=1'),
    (dict(cache_flush_mb=-1), 'cache_flush_mb'),
])
def test_onnxruntime_bad_settings(kwargs, key):
    with pytest.raises(LatencyConfigError, match=key) as e:
        OnnxRuntimeEstimator(**kwargs)
    assert '\n' not in str(e.value)


def test_flops_of_a_hand_computable_conv():
    conv = nn.Conv2d(3, 8, 3, padding=1)
    r = FlopsEstimator().measure(conv, (1, 3, 8, 8))
    # 8x8 output pixels x 8 output channels x (3 x 3 x 3) multiply-adds
    assert r['flops'] == 8 * 8 * 8 * 3 * 3 * 3
    assert r['params'] == 8 * 3 * 3 * 3 + 8
    assert r['ok'] and r['median_ms'] == pytest.approx(r['flops'] / 1e6)
    fast = FlopsEstimator(throughput_gflops=4.0).measure(conv, (2, 3, 8, 8))
    assert fast['flops'] == 2 * r['flops']
    assert fast['mean_ms'] == pytest.approx(2 * r['flops'] / 4e6)
    with pytest.raises(LatencyConfigError, match='throughput_gflops'):
        FlopsEstimator(throughput_gflops=0)


def test_summarize_timings():
    r = summarize_timings([1.0, 2.0, 3.0, 10.0])
    assert r['ok'] and r['repeats'] == 4
    assert r['median_ms'] == 2.5 and r['min_ms'] == 1.0 and r['mean_ms'] == 4
    assert r['std_ms'] == pytest.approx(np.std([1, 2, 3, 10]))
    assert r['cv'] == pytest.approx(r['std_ms'] / 4)
    with pytest.raises(ValueError):
        summarize_timings([])


def test_merge_passes_keeps_the_least_disturbed_pass():
    quiet = summarize_timings([1.0, 1.1, 1.2])
    busy = summarize_timings([0.95, 3.0, 3.0, 3.1])
    merged = merge_passes(merge_passes(None, busy), quiet)
    assert merged['passes'] == 2 and merged['repeats'] == 7
    assert merged['min_ms'] == 0.95 and merged['median_ms'] == 1.1
    assert merged['mean_ms'] == pytest.approx(1.1)
    assert merged['cv'] == quiet['cv']  # spread of the steadier pass
    failed = dict(ok=False, error='x')
    assert merge_passes(merged, failed) == merged
    assert merge_passes(failed, quiet)['passes'] == 1
    assert passes_of(failed) == 0 and passes_of(None) == 0


def test_parse_latency_ms():
    text = ('First inference time cost: 3 ms\n'
            'Average inference time cost: 2.65 ms\n'
            'Min Latency: 0.0021 s\n')
    pattern = r'Average inference time cost:\s*([0-9.eE+-]+)\s*ms'
    assert parse_latency_ms(text, pattern) == pytest.approx(2.65)
    assert parse_latency_ms(text, r'Min Latency:\s*([0-9.]+)\s*s',
                            's') == pytest.approx(2.1)
    assert parse_latency_ms('Segmentation fault', pattern) is None
