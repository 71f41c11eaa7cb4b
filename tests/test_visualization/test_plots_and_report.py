import numpy as np
import pytest

from mmdonna.search import synthetic_library
from mmdonna.visualization import (front_table, lut_error, plot_block_library,
                                   plot_pareto, write_report)


def _png(path):
    with open(path, 'rb') as f:
        return f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_lut_error_by_hand():
    e = lut_error([1.0, 2.0, 4.0], [1.1, None, 5.0])
    assert e['n'] == 2
    assert e['mean_abs_rel_error'] == pytest.approx(
        (0.1 / 1.1 + 1.0 / 5.0) / 2)
    assert e['mean_ratio'] == pytest.approx((1.1 + 1.25) / 2)
    assert e['kendall_tau'] == pytest.approx(1.0)
    assert lut_error([1.0], [None])['n'] == 0


def test_plots_are_written(tmp_path):
    lib, lat = synthetic_library([5, 4, 6, 3], seed=0)
    out = tmp_path / 'library.png'
    plot_block_library(
        str(out), lib, lat, kept=[[0, 1], [2], [0, 3, 5], [1]], target='cpu')
    assert _png(out)
    out = tmp_path / 'pareto.png'
    rng = np.random.default_rng(0)
    plot_pareto(
        str(out), {
            'cpu':
            dict(
                latency_lut=[1.0, 2.0],
                surrogate=[3.0, 2.0],
                latency_measured=[1.1, None]),
            'phone':
            dict(latency_lut=[5.0], surrogate=[1.0], latency_measured=None)
        },
        samples={
            'cpu':
            dict(
                latency=rng.random(20).tolist(),
                surrogate=rng.random(20).tolist())
        },
        teacher={'cpu': (4.0, 0.5)},
        metric_name='block_loss_sum')
    assert _png(out)


def test_report_tables(tmp_path):
    pareto = dict(
        metric_name='block_loss_sum',
        targets=dict(
            cpu=dict(
                teacher=dict(latency_measured_ms=4.0),
                lut_error=lut_error([1.0], [1.2]),
                front=[
                    dict(
                        name='cpu_arch00',
                        code=[0, 1],
                        surrogate=2.5,
                        latency_lut_ms=1.0,
                        latency_measured_ms=1.2,
                        params=2_000_000,
                        flops=30_000_000)
                ])))
    assert 'cpu_arch00' in front_table(pareto)
    out = tmp_path / 'report.md'
    write_report(
        str(out),
        'demo', [('search', 'done', '3 generations')],
        '| filter |',
        pareto,
        images=['pareto.png'])
    text = out.read_text()
    assert '| search | done | 3 generations |' in text
    assert '| cpu | cpu_arch00 | 1 | 1.2 | 2.5 | 2 | 30 | [0, 1] |' in text
    assert '![pareto.png](pareto.png)' in text
    assert '| cpu | 4 | 1 |' in text  # teacher measured, pairs
