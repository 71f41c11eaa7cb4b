"""Search speed, measured in one run: architectures scored per second by the
vectorised surrogate + LUT, the wall time of a 10,000-evaluation NSGA-II
search (population 100 x 100 generations, checkpointed every generation as in
a real run), and the exact front search on a space far beyond enumeration
(16 blocks x 20 options = 6.6e20 architectures, the full space, no KD
filter), alone and under whole-network params and FLOPs bounds.

Goals: >= 20,000 architectures/s and < 10 s (issue 5); the exact front of
>= 1e20 architectures in < 5 s (issue 15), printed as
``RESULT exact_front space=<n> seconds=<t> front=<k>``.

    python benchmarks/search_speed.py [--blocks 8] [--options 24]
        [--exact-blocks 16] [--exact-options 20]

One run (2 shared CPU cores): NSGA-II 10,000 evaluations in 1.01 s; the
exact front of 6.55e20 architectures in 0.007 s (front of 1,042, 50,480
partial sums), and 2.2 s with params and FLOPs bounded at the median (front
of 744, largest partial set 3,687):
``RESULT exact_front space=6.55e+20 seconds=0.007 front=1042``.
"""
import argparse
import os.path as osp
import tempfile
import time

import numpy as np

from mmdonna.filter import KDFilter
from mmdonna.search import (ArchObjectives, ArchProblem, search_exact,
                            search_targets, synthetic_library)
from mmdonna.surrogate import BlockLossSum


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--blocks', type=int, default=8)
    parser.add_argument('--options', type=int, default=24)
    parser.add_argument('--batch', type=int, default=200_000)
    parser.add_argument('--pop-size', type=int, default=100)
    parser.add_argument('--n-gen', type=int, default=100)
    parser.add_argument('--exact-blocks', type=int, default=16)
    parser.add_argument('--exact-options', type=int, default=20)
    args = parser.parse_args()

    library, latency = synthetic_library([args.options] * args.blocks, 0)
    surrogate = BlockLossSum(normalize='mean')
    surrogate.setup(library, '')
    objectives = ArchObjectives(
        surrogate,
        dict(
            latency=(latency, 1.0),
            params=(library.field_table('params'), 0.0)),
        limits=dict(params=1e9))
    rng = np.random.default_rng(0)
    codes = rng.integers(0, args.options, (args.batch, args.blocks))
    objectives(codes[:1000])  # warm-up
    t0 = time.perf_counter()
    F, G = objectives(codes)
    scoring = time.perf_counter() - t0
    rate = args.batch / scoring
    print(f'space: {args.blocks} blocks x {args.options} options = '
          f'{float(args.options)**args.blocks:.3g} architectures')
    print(f'scoring (surrogate + LUT latency + params constraint), batch '
          f'{args.batch}: {scoring * 1e3:.1f} ms -> {rate:,.0f} '
          f'architectures/s (goal >= 20,000: '
          f'{"met" if rate >= 2e4 else "MISSED"})')

    blocks = KDFilter(min_keep=3).filter_target(library, latency)
    kept = [blocks[p]['kept'] for p in library.space.paths]
    problem = ArchProblem(kept, objectives, n_constr=objectives.n_constr)
    settings = dict(
        pop_size=args.pop_size,
        n_gen=args.n_gen,
        seed=0,
        operators='ordinal',
        constraints=None)
    with tempfile.TemporaryDirectory() as tmp:
        state = osp.join(tmp, 'search_state.json')
        t0 = time.perf_counter()
        states = search_targets({'synthetic': problem}, settings, state)
        wall = time.perf_counter() - t0
    s = states['synthetic']
    print(f'NSGA-II over the filtered space ({problem.size:.3g} '
          f'architectures): {s["n_eval"]} evaluations in '
          f'{s["generation"]} generations, checkpointed each: {wall:.2f} s, '
          f'front of {len(s["archive"]["codes"])} (goal < 10 s: '
          f'{"met" if wall < 10 else "MISSED"})')
    exact_speed(args.exact_blocks, args.exact_options)


def exact_speed(blocks: int, options: int) -> None:
    """The exact front of a synthetic ``blocks x options`` space, without
    bounds and with params and FLOPs bounded at the median architecture's
    (their dominance then counts too)."""
    library, latency = synthetic_library([options] * blocks, 0)
    surrogate = BlockLossSum(normalize='mean')
    surrogate.setup(library, '')
    costs = dict(
        latency=(latency, 1.0),
        params=(library.field_table('params'), 0.0),
        flops=(library.field_table('flops'), 0.0))
    kept = [list(range(options))] * blocks
    size = options**blocks
    median = {
        k: float(sum(np.median(t) for t in library.field_table(k)))
        for k in ('params', 'flops')
    }
    for limits in (None, median):
        objectives = ArchObjectives(surrogate, costs, limits)
        objectives.block_tables()  # warm-up
        t0 = time.perf_counter()
        codes, F, front = search_exact(objectives, kept)
        wall = time.perf_counter() - t0
        what = 'no bounds' if limits is None else 'params, FLOPs <= median'
        print(f'exact front, {blocks} blocks x {options} options '
              f'({float(size):.3g} architectures, {what}): {wall:.3f} s, '
              f'front of {len(codes)}, {front.evaluated:,} partial sums, '
              f'largest set {front.largest} (goal < 5 s: '
              f'{"met" if wall < 5 else "MISSED"})')
        if limits is None:
            result = (f'RESULT exact_front space={float(size):.3g} '
                      f'seconds={wall:.3f} front={len(codes)}')
    print(result)


if __name__ == '__main__':
    main()
