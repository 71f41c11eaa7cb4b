"""Search speed, measured in one run: architectures scored per second by the
vectorised surrogate + LUT, and the wall time of a 10,000-evaluation NSGA-II
search (population 100 x 100 generations, checkpointed every generation as in
a real run).

Goals (issue 5): >= 20,000 architectures/s and < 10 s.

    python benchmarks/search_speed.py [--blocks 8] [--options 24]
"""
import argparse
import os.path as osp
import tempfile
import time

import numpy as np

from mmdonna.filter import KDFilter
from mmdonna.search import (ArchObjectives, ArchProblem, search_targets,
                            synthetic_library)
from mmdonna.surrogate import BlockLossSum


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--blocks', type=int, default=8)
    parser.add_argument('--options', type=int, default=24)
    parser.add_argument('--batch', type=int, default=200_000)
    parser.add_argument('--pop-size', type=int, default=100)
    parser.add_argument('--n-gen', type=int, default=100)
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


if __name__ == '__main__':
    main()
