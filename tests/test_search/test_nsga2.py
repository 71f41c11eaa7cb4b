import json

import numpy as np
import pytest
from pymoo.indicators.hv import HV

from mmdonna.filter import KDFilter, pareto_mask
from mmdonna.search import synthetic_library
from mmdonna.search.arch_objectives import ArchObjectives
from mmdonna.search.arch_problem import ArchProblem
from mmdonna.search.multi_target import (SearchError, check_limits,
                                         search_targets)
from mmdonna.search.nsga2 import rng_from_json, rng_to_json, run_nsga2
from mmdonna.surrogate import BlockLossSum
from mmdonna.utils.io import ArtifactError

SETTINGS = dict(pop_size=24, n_gen=12, seed=0, operators='ordinal')


def make_problem(num_options=(5, 6, 4, 5), seed=0, limits=None, flt=True):
    lib, lat = synthetic_library(num_options, seed=seed)
    surrogate = BlockLossSum()
    surrogate.setup(lib, '')
    obj = ArchObjectives(
        surrogate,
        dict(latency=(lat, 0.5), params=(lib.field_table('params'), 1e5)),
        limits=limits)
    if flt:
        blocks = KDFilter().filter_target(lib, lat)
        kept = [blocks[p]['kept'] for p in lib.space.paths]
    else:
        kept = [list(range(n)) for n in num_options]
    return lib, obj, ArchProblem(kept, obj, n_constr=obj.n_constr)


def true_front(lib, obj):
    codes = np.array(list(lib.space.enumerate()))
    F, _ = obj(codes)
    return {tuple(c) for c in codes[pareto_mask(F)]}


def test_problem_maps_genes_to_full_codes():
    _, obj, problem = make_problem()
    genes = np.array([[0] * problem.n_var, problem.xu])
    codes = problem.to_full(genes)
    for b, k in enumerate(problem.kept):
        assert codes[0, b] == k[0] and codes[1, b] == k[-1]
    np.testing.assert_array_equal(problem.to_genes(codes), genes)
    with pytest.raises(ArtifactError, match='filtered space'):
        bad = codes[:1].copy()
        removed = set(range(6)) - set(problem.kept[1].tolist())
        if not removed:
            pytest.skip('filter kept every option of block 1')
        bad[0, 1] = removed.pop()
        problem.to_genes(bad)


@pytest.mark.parametrize('operators', ['ordinal', 'categorical'])
def test_nsga2_recovers_the_true_front(operators):
    # 6 blocks x 6 options = 46,656 architectures, enumerated exactly
    lib, obj, problem = make_problem((6, ) * 6, seed=2, flt=False)
    truth = true_front(lib, obj)
    state = run_nsga2(problem, 60, 40, seed=0, operators=operators)
    found = {tuple(c) for c in state['archive']['codes']}
    hits = len(found & truth)
    assert hits / len(truth) >= 0.7, hits / len(truth)  # recall
    assert hits / len(found) >= 0.8, hits / len(found)  # precision
    F_true, _ = obj(np.array(sorted(truth)))
    hv = HV(ref_point=F_true.max(0) * 1.1)
    assert hv(np.array(state['archive']['F'])) / hv(F_true) >= 0.99
    assert state['n_eval'] <= 60 * 40


def test_resumed_run_gives_the_same_front(tmp_path):
    _, _, problem = make_problem()
    problems = {'cpu': problem}
    full = search_targets(problems, SETTINGS, str(tmp_path / 'a.json'))
    state_file = str(tmp_path / 'b.json')
    part = search_targets(problems, SETTINGS, state_file, stop_after=5)
    assert part['cpu']['generation'] == 5 and not part['cpu']['done']
    on_disk = json.load(open(state_file))
    assert on_disk['targets']['cpu']['generation'] == 5
    resumed = search_targets(problems, SETTINGS, state_file)
    assert resumed['cpu']['done']
    assert resumed['cpu']['archive'] == full['cpu']['archive']
    assert resumed['cpu']['pop'] == full['cpu']['pop']
    # a longer run continues a finished shorter one
    longer = search_targets(problems, dict(SETTINGS, n_gen=15), state_file)
    assert longer['cpu']['generation'] == 15
    uninterrupted = search_targets(problems, dict(SETTINGS, n_gen=15),
                                   str(tmp_path / 'c.json'))
    assert longer['cpu']['archive'] == uninterrupted['cpu']['archive']


def test_corrupt_and_foreign_state_refused(tmp_path):
    _, _, problem = make_problem()
    state_file = tmp_path / 'search_state.json'
    search_targets({'cpu': problem}, SETTINGS, str(state_file), stop_after=2)
    text = state_file.read_text()
    state_file.write_text(text[:len(text) // 2])
    with pytest.raises(ArtifactError, match='corrupt') as e:
        search_targets({'cpu': problem}, SETTINGS, str(state_file))
    assert '\n' not in str(e.value)
    state_file.write_text(text)
    # another library (other NSRs and latencies) -> foreign
    _, _, other = make_problem(seed=5)
    with pytest.raises(ArtifactError, match='another config'):
        search_targets({'cpu': other}, SETTINGS, str(state_file))
    with pytest.raises(ArtifactError, match='another config'):
        search_targets({'cpu': problem}, dict(SETTINGS, seed=1),
                       str(state_file))
    # a right hash but a tampered population is caught on restore
    data = json.loads(text)
    data['targets']['cpu']['pop']['F'][0][0] += 1
    state_file.write_text(json.dumps(data))
    with pytest.raises(ArtifactError, match='objectives differ'):
        search_targets({'cpu': problem}, SETTINGS, str(state_file))


def test_infeasible_budget_is_a_clear_message(tmp_path):
    lib, obj, problem = make_problem(limits=dict(latency=0.01))
    with pytest.raises(SearchError, match='constraints.latency_ms') as e:
        check_limits(obj, problem, 'cpu')
    assert '\n' not in str(e.value) and 'cpu' in str(e.value)
    # a budget met by some architectures: every front member meets it
    lat = obj.cost('latency', np.array(list(lib.space.enumerate())))
    budget = float(np.quantile(lat, 0.3))
    _, obj, problem = make_problem(limits=dict(latency=budget))
    check_limits(obj, problem, 'cpu')
    states = search_targets({'cpu': problem}, SETTINGS,
                            str(tmp_path / 's.json'))
    F = np.array(states['cpu']['archive']['F'])
    assert len(F) and (F[:, 1] <= budget).all()


def test_multi_target_gives_one_front_per_target(tmp_path):
    _, _, cpu = make_problem(seed=0)
    _, _, phone = make_problem(seed=1)
    states = search_targets({
        'cpu': cpu,
        'phone': phone
    }, SETTINGS, str(tmp_path / 's.json'))
    assert set(states) == {'cpu', 'phone'}
    assert states['cpu']['archive'] != states['phone']['archive']
    for t, p in (('cpu', cpu), ('phone', phone)):
        codes = np.array(states[t]['archive']['codes'])
        # full-space indexing, inside each target's filtered space
        for b, k in enumerate(p.kept):
            assert set(codes[:, b]) <= set(k.tolist())


def test_rng_state_round_trips_through_json():
    rng = np.random.default_rng(7)
    rng.random(3)
    saved = json.loads(json.dumps(rng_to_json(rng)))
    want = rng.random(5)
    other = np.random.default_rng(0)
    rng_from_json(other, saved)
    np.testing.assert_array_equal(other.random(5), want)
