"""The exact front search against brute-force enumeration."""
import importlib
import itertools
import json
import os.path as osp

import numpy as np
import pytest

from mmdonna.filter import KDFilter, dominance_matrix, pareto_mask
from mmdonna.search import (ArchObjectives, ArchProblem, SearchError,
                            choose_algorithm, exact_front, exact_targets,
                            nondominated, run_nsga2, search_exact,
                            synthetic_library)
from mmdonna.search.multi_target import search_targets
from mmdonna.surrogate import BlockLossSum, LinearAccuracyPredictor

# the module (the package attribute of the same name is the function)
exact_front_module = importlib.import_module('mmdonna.search.exact_front')
EXACT = dict(algorithm='exact', latency_eps_ms=None, constraints=None)


def brute_front(tables, offsets, bounds, kept):
    """Objective vectors of the feasible Pareto front, by enumeration."""
    codes = np.array(list(itertools.product(*kept)))
    total = sum(t[codes[:, b]] for b, t in enumerate(tables)) + offsets
    total = total[(total <= bounds).all(1)]
    F = total[:, :2]
    return {tuple(np.round(f, 9)) for f in F[pareto_mask(F)]}


def random_tables(rng, blocks, columns, ties=False):
    tables = [
        rng.uniform(0, 1, (int(rng.integers(1, 6)), columns))
        for _ in range(blocks)
    ]
    if ties:  # a coarse grid: equal sums and equal columns everywhere
        tables = [np.round(t * 4) / 4 for t in tables]
    return tables


@pytest.mark.parametrize('seed', range(6))
@pytest.mark.parametrize('bounded', [False, True])
def test_exact_front_equals_brute_force(seed, bounded):
    rng = np.random.default_rng(seed)
    for trial in range(20):
        B, M = int(rng.integers(1, 5)), int(rng.integers(2, 5))
        tables = random_tables(rng, B, M, ties=trial % 4 == 0)
        offsets = rng.uniform(-1, 1, M)
        bounds = np.full(M, np.inf)
        if bounded:  # latency and the constrained costs, some binding
            for j in range(1, M):
                bounds[j] = offsets[j] + rng.uniform(0.2, 0.7) * B
        kept = [
            np.sort(rng.choice(len(t), rng.integers(1,
                                                    len(t) + 1), False))
            for t in tables
        ]
        res = exact_front(tables, offsets, bounds, kept)
        expect = brute_front(tables, offsets, bounds, kept)
        got = {tuple(np.round(v, 9)) for v in res.values[:, :2]}
        assert got == expect, (seed, trial)
        assert len(got) == len(res.codes)  # one architecture per point
        if len(res.codes):
            total = sum(t[res.codes[:, b]]
                        for b, t in enumerate(tables)) + offsets
            np.testing.assert_allclose(total, res.values)
            assert (total <= bounds + 1e-12).all()
            for b, k in enumerate(kept):
                assert set(res.codes[:, b]) <= set(k.tolist())
            assert (np.diff(res.values[:, 1]) >= 0).all()  # fastest first


def test_constrained_cost_takes_part_in_dominance():
    # option 0 of block 0 is better in both objectives but costs 5 params;
    # with a bound of 4 only option 1 (worse in both) can start a feasible
    # architecture: pruning it by 2-D dominance would empty the front
    tables = [
        np.array([[0.1, 1.0, 5.0], [0.2, 2.0, 1.0]]),
        np.array([[0.1, 1.0, 0.0], [0.3, 0.5, 3.5]])
    ]
    bounds = [np.inf, np.inf, 4.0]
    res = exact_front(tables, bounds=bounds)
    assert res.codes.tolist() == [[1, 0]]
    assert brute_front(tables, np.zeros(3), np.array(bounds),
                       [[0, 1], [0, 1]]) == {(0.3, 3.0)}
    # no bound: the cost no longer matters
    assert exact_front(tables).codes.tolist() == [[0, 1], [0, 0]]


def test_impossible_bounds_give_an_empty_front():
    tables = [np.array([[0.1, 1.0], [0.2, 2.0]])] * 3
    res = exact_front(tables, bounds=[np.inf, 2.0])
    assert res.codes.shape == (0, 3)


@pytest.mark.parametrize('columns', [2, 3, 4])
def test_nondominated_matches_the_pairwise_definition(columns, monkeypatch):
    # small chunks: 300 rows take several chunks of the pairwise test
    monkeypatch.setattr(exact_front_module, 'CHUNK', 32)
    rng = np.random.default_rng(columns)
    for n in (1, 7, 300):
        keys = np.round(rng.uniform(0, 1, (n, columns)) * 8) / 8
        idx = nondominated(keys)
        D = dominance_matrix(keys)
        # every kept row is non-dominated, and every non-dominated distinct
        # row is kept exactly once
        assert not D[:, idx].any()
        front = {tuple(r) for r in keys[~D.any(0)]}
        assert {tuple(r) for r in keys[idx]} == front
        assert len(idx) == len(front)


def test_latency_grid_keeps_every_true_point_within_eps():
    rng = np.random.default_rng(3)
    shrunk = 0
    for _ in range(30):
        tables = random_tables(rng, int(rng.integers(2, 7)), 2)
        eps = float(rng.uniform(0.02, 0.5))
        exact = exact_front(tables)
        grid = exact_front(tables, eps=eps)
        assert len(grid.codes) <= len(exact.codes)
        shrunk += len(grid.codes) < len(exact.codes)
        for s, lat in exact.values:
            close = (grid.values[:, 0] <= s + 1e-12) & (
                grid.values[:, 1] <= lat + eps + 1e-12)
            assert close.any(), (s, lat, eps)
    assert shrunk  # the grid does drop points


def make_objectives(seed, num_options, limits=None, latency_index=0):
    library, latency = synthetic_library(num_options, seed=seed)
    surrogate = BlockLossSum(normalize='mean')
    surrogate.setup(library, '')
    if latency_index:  # another target: other latencies on the same space
        rng = np.random.default_rng(seed + 100)
        latency = [t * rng.uniform(0.5, 1.5, len(t)) for t in latency]
    objectives = ArchObjectives(
        surrogate,
        dict(
            latency=(latency, 0.3),
            params=(library.field_table('params'), 2e4),
            flops=(library.field_table('flops'), 1e6)),
        limits=limits)
    return library, latency, objectives


def enumerated_front(library, objectives):
    codes = np.array(list(library.space.enumerate()))
    F, G = objectives(codes)
    ok = (G <= 0).all(1) if G.size else np.ones(len(codes), dtype=bool)
    codes, F = codes[ok], F[ok]
    return {tuple(c) for c in codes[pareto_mask(F)]}


@pytest.mark.parametrize('seed', range(3))
@pytest.mark.parametrize('limits', [
    None,
    dict(params=1.0),
    dict(latency=0.9, flops=1.0),
    dict(latency=1.0, params=0.9, flops=1.1)
])
def test_search_exact_equals_enumeration_with_constraints(seed, limits):
    num_options = [5, 4, 6, 5, 4]
    library, _, objectives = make_objectives(seed, num_options)
    if limits:  # bounds as a share of the median architecture's cost
        codes = np.array(list(library.space.enumerate()))
        limits = {
            k: v * float(np.median(objectives.cost(k, codes)))
            for k, v in limits.items()
        }
        objectives = make_objectives(seed, num_options, limits)[2]
    truth = enumerated_front(library, objectives)
    kept = [list(range(n)) for n in num_options]
    codes, F, _ = search_exact(objectives, kept)
    assert {tuple(c) for c in codes} == truth
    np.testing.assert_allclose(F, objectives(codes)[0])


def test_exact_targets_one_front_per_target_saved_and_reused(tmp_path):
    num_options = [4, 5, 4, 3]
    problems, objectives, truth = {}, {}, {}
    for i, target in enumerate(('cpu', 'gpu')):
        library, _, obj = make_objectives(
            1, num_options, dict(params=3e4), latency_index=i)
        codes = np.array(list(library.space.enumerate()))
        obj.limits['params'] = float(np.median(obj.cost('params', codes)))
        objectives[target] = obj
        problems[target] = ArchProblem([list(range(n)) for n in num_options],
                                       obj, 2, 1)
        truth[target] = enumerated_front(library, obj)
    assert truth['cpu'] != truth['gpu']
    state_file = str(tmp_path / 'search_state.json')
    states = exact_targets(problems, objectives, EXACT, state_file)
    for t in problems:
        assert states[t]['algorithm'] == 'exact' and states[t]['done']
        assert {tuple(c) for c in states[t]['archive']['codes']} == truth[t]
    saved = json.load(open(state_file))
    assert saved['final'] and set(saved['targets']) == {'cpu', 'gpu'}
    mtime = osp.getmtime(state_file)
    assert exact_targets(problems, objectives, EXACT, state_file) == states
    assert osp.getmtime(state_file) == mtime  # reused, not rewritten
    # switching between NSGA-II and the exact front replaces an exact state
    # (recomputed in milliseconds) and an NSGA-II one for the exact front
    nsga2 = dict(pop_size=8, n_gen=2, seed=0, operators='ordinal')
    assert search_targets(problems, nsga2, state_file)['cpu']['done']
    assert json.load(open(state_file))['settings'] == nsga2
    again = exact_targets(problems, objectives, EXACT, state_file)
    for t in problems:
        assert again[t]['archive'] == states[t]['archive']
    assert json.load(open(state_file))['settings'] == EXACT


def test_exact_targets_impossible_budget():
    num_options = [3, 3]
    library, _, obj = make_objectives(0, num_options, dict(latency=1e-3))
    problem = ArchProblem([[0, 1, 2]] * 2, obj, 2, 1)
    with pytest.raises(SearchError, match='relax'):
        exact_targets({'t': problem}, {'t': obj}, EXACT, '/nonexistent/x')


class NotAdditive:
    """A surrogate whose value is not a sum over blocks."""
    metric_name = 'product'

    def __init__(self, surrogate):
        self.inner = surrogate

    def predict_batch(self, codes):
        return np.exp(self.inner.predict_batch(codes))

    def block_tables(self):
        return None


def test_choose_algorithm():
    library, _, obj = make_objectives(0, [3, 3])
    algorithm, reason = choose_algorithm('auto', obj.surrogate)
    assert algorithm == 'exact' and 'BlockLossSum' in reason
    assert choose_algorithm('nsga2', obj.surrogate)[0] == 'nsga2'
    other = NotAdditive(obj.surrogate)
    algorithm, reason = choose_algorithm('auto', other)
    assert algorithm == 'nsga2' and 'does not add up' in reason
    with pytest.raises(ValueError, match='search.algorithm') as e:
        choose_algorithm('exact', other)
    assert '\n' not in str(e.value)
    with pytest.raises(ValueError, match='search.algorithm'):
        choose_algorithm('random', obj.surrogate)
    with pytest.raises(ValueError, match='add up'):
        search_exact(
            ArchObjectives(other, dict(latency=obj.costs['latency'])),
            [[0, 1, 2]] * 2)


def test_surrogate_block_tables_sum_to_predictions():
    library, _ = synthetic_library([4, 3, 5], seed=2)
    codes = np.array(list(library.space.enumerate()))
    linear = LinearAccuracyPredictor()
    rng = np.random.default_rng(0)
    linear.fit(library, [
        dict(code=c.tolist(), accuracy=float(a))
        for c, a in zip(codes[::5], rng.uniform(60, 90, len(codes[::5])))
    ])
    for surrogate in (BlockLossSum(), BlockLossSum(normalize='mean'), linear):
        if surrogate is not linear:
            surrogate.setup(library, '')
        tables, offset = surrogate.block_tables()
        total = offset + sum(
            np.asarray(t)[codes[:, b]] for b, t in enumerate(tables))
        np.testing.assert_allclose(total, surrogate.predict_batch(codes))


@pytest.mark.parametrize('seed', range(3))
def test_exact_front_covers_nsga2_front(seed):
    # a run of NSGA-II over the KD-filtered space: every architecture of its
    # front is in the exact front or weakly dominated by one of its points
    num_options = [6, 6, 6, 6, 6]
    library, latency, obj = make_objectives(seed, num_options,
                                            dict(params=1e5))
    blocks = KDFilter().filter_target(library, latency)
    kept = [blocks[p]['kept'] for p in library.space.paths]
    problem = ArchProblem(kept, obj, n_constr=obj.n_constr)
    nsga = run_nsga2(problem, pop_size=24, n_gen=15, seed=seed)
    codes, F, _ = search_exact(obj, kept)
    exact = {tuple(c) for c in codes}
    for code, f in zip(nsga['archive']['codes'], nsga['archive']['F']):
        dominated = (F <= np.array(f) + 1e-12).all(1).any()
        assert tuple(code) in exact or dominated, code
    # and the exact front is never dominated by an NSGA-II point
    NF = np.array(nsga['archive']['F'])
    for f in F:
        assert not ((NF <= f).all(1) & (NF < f).any(1)).any()
