import json

import numpy as np
import pytest

from mmdonna.filter import (FilterError, KDFilter, dominance_matrix,
                            filter_block, filter_table, kept_options,
                            pareto_layers, pareto_mask)
from mmdonna.registry import TASK_UTILS
from mmdonna.search import synthetic_library
from mmdonna.utils.io import ArtifactError

LAT = np.array([1.0, 2.0, 3.0, 2.5, 4.0])
NSR = np.array([0.5, 0.3, 0.2, 0.4, 0.25])


def test_pareto_functions_by_hand():
    F = np.stack([LAT, NSR], 1)
    # 3 is dominated by 1 (2.0 < 2.5, 0.3 < 0.4), 4 by 2 (3 < 4, .2 < .25)
    np.testing.assert_array_equal(pareto_mask(F), [1, 1, 1, 0, 0])
    np.testing.assert_array_equal(pareto_layers(F), [0, 0, 0, 1, 1])
    D = dominance_matrix(F)
    assert D[1, 3] and D[2, 4] and not D[3, 1] and not D[0, 1]
    # identical points do not dominate each other
    assert pareto_mask(np.ones((3, 2))).all()
    # with 30% slack option 4 (4.0, .25) is no longer dominated by 2 (3, .2):
    # .2 * 1.3 = .26 > .25
    np.testing.assert_array_equal(pareto_mask(F, slack=0.3), [1, 1, 1, 1, 1])


def test_dominated_options_are_removed_with_reasons():
    kept, removed = filter_block(LAT, NSR)
    assert kept == [0, 1, 2]  # ordered by latency
    assert [(r['index'], r['reason'], r['by'])
            for r in removed] == [(3, 'dominated', 1), (4, 'dominated', 2)]


def test_min_keep_brings_back_the_best_dominated():
    kept, removed = filter_block(LAT, NSR, min_keep=4)
    # 3 and 4 are both on layer 1; 4 has the lower NSR
    assert kept == [0, 1, 2, 4]
    assert [r['index'] for r in removed] == [3]


def test_cost_bound_respected_and_never_empty():
    costs = dict(latency=(LAT, 2.0, 1.3))  # at most 2.6 ms
    kept, removed = filter_block(LAT, NSR, costs)
    assert kept == [0, 1]
    assert all(LAT[k] <= 2.6 for k in kept)
    reasons = {r['index']: r['reason'] for r in removed}
    assert reasons == {2: 'cost_bound', 3: 'dominated', 4: 'cost_bound'}
    with pytest.raises(FilterError, match='max_cost_ratio.latency') as e:
        filter_block(LAT, NSR, dict(latency=(LAT, 2.0, 0.1)), block='b1')
    assert 'b1' in str(e.value) and '\n' not in str(e.value)


def test_kd_filter_artefact_per_target(tmp_path):
    lib, lat = synthetic_library([6, 5, 7], seed=3)
    flt = TASK_UTILS.build(
        dict(
            type='mmdonna.KDFilter',
            max_cost_ratio=dict(params=1.5),
            min_keep=2))
    latency = {
        'cpu': dict(tables=lat, teacher=None),
        'phone': dict(tables=[t[::-1].copy() for t in lat], teacher=None)
    }
    out = str(tmp_path / 'filtered_space.json')
    data = flt.run(lib, latency, out)
    on_disk = json.load(open(out))
    assert on_disk['targets'] == json.loads(json.dumps(data['targets']))
    params = lib.field_table('params')
    teacher = lib.teacher_field('params')
    for target in ('cpu', 'phone'):
        tables = latency[target]['tables']
        kept = kept_options(data, target, lib.space.paths)
        for b, (path, k) in enumerate(zip(lib.space.paths, kept)):
            entry = data['targets'][target][path]
            assert len(k) >= 2
            assert sorted(k + [r['index'] for r in entry['removed']]) == list(
                range(len(tables[b])))
            assert all(params[b][i] <= 1.5 * teacher[b] for i in k)
            assert list(np.argsort(tables[b][k],
                                   kind='stable')) == list(range(len(k)))
    # the two targets see different latencies, so keep different options
    assert kept_options(data, 'cpu', lib.space.paths) != kept_options(
        data, 'phone', lib.space.paths)
    table = filter_table(data)
    assert 'dominated by' in table and 'params' in table
    # a second run reuses the file; a stale one is redone
    mtime = (tmp_path / 'filtered_space.json').stat().st_mtime_ns
    flt.run(lib, latency, out)
    assert (tmp_path / 'filtered_space.json').stat().st_mtime_ns == mtime
    KDFilter(slack=0.5).run(lib, latency, out)
    assert json.load(open(out))['settings']['slack'] == 0.5
    with pytest.raises(ArtifactError, match='target'):
        kept_options(data, 'tpu', lib.space.paths)


def test_kd_filter_bad_settings():
    with pytest.raises(ValueError, match='max_cost_ratio has unknown'):
        KDFilter(max_cost_ratio=dict(lat=2))
    with pytest.raises(ValueError, match='min_keep'):
        KDFilter(min_keep=0)
    lib, lat = synthetic_library([3, 3])
    with pytest.raises(ValueError, match='teacher blocks'):
        KDFilter(max_cost_ratio=dict(latency=2)).filter_target(lib, lat)
