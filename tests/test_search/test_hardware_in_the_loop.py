"""Re-measurement of whole models keeps what is already measured."""
import json

from torch import nn

from mmdonna.latency import FlopsEstimator
from mmdonna.search import code_key, remeasure


class CountingFlops(FlopsEstimator):
    """The real FLOPs estimator, counting its measurements."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def measure(self, module, input_shape):
        self.calls += 1
        return super().measure(module, input_shape)


def build(code):
    width = 4 if code is None else 2 + sum(code)
    return nn.Sequential(nn.Conv2d(3, width, 3), nn.ReLU())


def test_remeasure_resumes_and_redoes_a_foreign_file(tmp_path):
    state = str(tmp_path / 'hil.json')
    est = CountingFlops()
    jobs = {'flops': [None, [0, 1]]}
    first = remeasure(jobs, build, {'flops': est}, (1, 3, 8, 8), state, 'h1')
    assert est.calls == 2
    assert first[code_key('flops', [0, 1])]['ok']
    # the teacher (4 channels) costs more than code [0, 1] (3 channels)
    assert (first['flops|teacher']['mean_ms'] > first['flops|0,1']['mean_ms'])
    # a killed run continues: only the new architecture is measured
    jobs['flops'].append([1, 1])
    second = remeasure(jobs, build, {'flops': est}, (1, 3, 8, 8), state, 'h1')
    assert est.calls == 3
    assert second['flops|0,1'] == first['flops|0,1']
    assert set(json.load(open(state))['results']) == {
        'flops|teacher', 'flops|0,1', 'flops|1,1'
    }
    # measurements of other settings are not reused
    remeasure(jobs, build, {'flops': est}, (1, 3, 8, 8), state, 'h2')
    assert est.calls == 6
    open(state, 'w').write('{"format": ')
    remeasure(jobs, build, {'flops': est}, (1, 3, 8, 8), state, 'h2')
    assert est.calls == 9
