"""The report arithmetic of benchmarks/pareto_vs_baselines.py on made-up
results: hypervolume ratios and latency at equal quality, with its bounds
for found models outside the scaled family's quality range."""
import importlib.util
import math
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def pvb():
    sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
    try:
        spec = importlib.util.spec_from_file_location(
            'pareto_vs_baselines',
            osp.join(ROOT, 'benchmarks', 'pareto_vs_baselines.py'))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        yield mod
    finally:
        sys.path.remove(osp.join(ROOT, 'benchmarks'))


def state_of(models: dict) -> dict:
    """models: name -> (set, [quality per seed], latency)."""
    state = dict(models={}, latency={})
    for name, (kind, qs, lat) in models.items():
        state['models'][name] = dict(
            set=kind,
            latency_key=name,
            seeds={
                str(i): q
                for i, q in enumerate(qs)
            })
        state['latency'][name] = [lat, lat * 1.1]
    return state


SCALED = {  # quality rises with latency: 80 at 2 ms ... 90 at 6 ms
    'sc_a': ('scaled_equal', [80.0, 80.0], 2.0),
    'sc_b': ('scaled_equal', [85.0, 85.0], 4.0),
    'sc_c': ('scaled_equal', [90.0, 90.0], 6.0),
}


def test_inside_range_interpolates(pvb):
    state = state_of(dict(SCALED, f0=('found', [82.0, 84.0], 1.5)))  # mean 83
    lq = pvb.summarise(state, 2, 100.0, 10.0,
                       (1.0, 1.2))['latency_at_equal_quality']
    # 83 lies 3/5 of the way from 80 (2 ms) to 85 (4 ms): 3.2 ms
    assert math.isclose(lq['median'], 1.5 / 3.2)
    assert lq['above_best_scaled'] == 0 and lq['below_fastest_scaled'] == 0


def test_outside_range_gives_bounds_not_nan(pvb):
    state = state_of(
        dict(
            SCALED,
            # better than every scaled member: its latency over the best's
            f_hi=('found', [95.0, 95.0], 3.0),
            # worse than the fastest: its latency over the fastest's
            f_lo=('found', [70.0, 70.0], 3.0),
            f_lo2=('found', [75.0, 75.0], 5.0)))
    s = pvb.summarise(state, 2, 100.0, 10.0, (1.0, 1.2))
    lq = s['latency_at_equal_quality']
    assert sorted(lq['ratios']) == pytest.approx(
        sorted([3.0 / 6.0, 3.0 / 2.0, 5.0 / 2.0]))
    assert lq['median'] == pytest.approx(1.5)
    assert lq['above_best_scaled'] == 1
    assert lq['below_fastest_scaled'] == 2
    assert lq['compared'] == lq['found'] == 3


def test_hv_ratio_per_seed(pvb):
    state = state_of(
        dict(
            sc=('scaled_equal', [80.0, 80.0], 5.0),
            f=('found', [90.0, 80.0], 5.0),
            r=('random', [80.0, 80.0], 5.0)))
    s = pvb.summarise(state, 2, 100.0, 10.0, (1.0, 1.2))
    # one point each: HV = (1 - err) * (1.2 - 0.5)
    assert s['hv']['found'] == pytest.approx((1 - 0.15) * 0.7)
    assert s['hv']['random'] == pytest.approx(0.8 * 0.7)
    r = s['hv_vs_random']
    assert r['mean_points'] == pytest.approx(0.85 / 0.8)
    assert r['per_seed'] == pytest.approx([0.9 / 0.8, 1.0])


def test_merge_results_takes_missing_seeds_of_same_models(pvb, tmp_path):
    import json
    mine = dict(
        config_hash='h',
        models=dict(
            a=dict(
                set='scaled_equal', knobs={'k': 1}, length=9, seeds={'0':
                                                                     1.0}),
            b=dict(set='found', code=[0, 1], seeds={})))
    other = dict(
        config_hash='h',
        models=dict(
            # seed 0 is kept as it is here, seed 1 is taken
            a=dict(
                set='scaled_equal',
                knobs={'k': 1},
                length=9,
                seeds={
                    '0': 5.0,
                    '1': 2.0
                }),
            # another architecture under the same name: nothing taken
            b=dict(set='found', code=[1, 1], seeds={'0': 3.0})))
    path = tmp_path / 'other.json'
    path.write_text(json.dumps(other))
    assert pvb.merge_results(mine, str(path)) == 1
    assert mine['models']['a']['seeds'] == {'0': 1.0, '1': 2.0}
    assert mine['models']['b']['seeds'] == {}
    path.write_text(json.dumps(dict(other, config_hash='x')))
    with pytest.raises(SystemExit, match='other settings'):
        pvb.merge_results(mine, str(path))
