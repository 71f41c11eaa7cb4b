"""NSGA-II front vs the true Pareto front, on spaces small enough to
enumerate, measured in one run: recall (share of the true front found),
precision (share of the returned front that is truly Pareto-optimal) and
hypervolume ratio (pymoo's HV indicator, reference point 10% beyond the
true front's worst point).

Synthetic block libraries (several seeds), optionally plus a real one: pass
the work dir of a finished search (its block_library.json and latency LUT).
The true front is computed over the FULL space; the search runs over the KD
filter's space, so any loss from the filter shows as well.

    python benchmarks/search_quality.py [--work-dir work_dirs/...search]
"""
import argparse
import glob
import os.path as osp
import time

import numpy as np
from pymoo.indicators.hv import HV

from mmdonna.filter import KDFilter, pareto_mask
from mmdonna.search import (ArchObjectives, ArchProblem, run_nsga2,
                            synthetic_library)
from mmdonna.surrogate import BlockLossSum


def quality(library, latency, offset, pop_size, n_gen, seed, slack=0.0):
    surrogate = BlockLossSum(normalize='mean')
    surrogate.setup(library, '')
    objectives = ArchObjectives(surrogate, dict(latency=(latency, offset)))
    codes = np.array(list(library.space.enumerate()))
    F, _ = objectives(codes)
    true_mask = pareto_mask(F)
    truth = {tuple(c) for c in codes[true_mask]}
    blocks = KDFilter(slack=slack).filter_target(library, latency)
    kept = [blocks[p]['kept'] for p in library.space.paths]
    problem = ArchProblem(kept, objectives)
    t0 = time.perf_counter()
    state = run_nsga2(problem, pop_size, n_gen, seed=seed)
    wall = time.perf_counter() - t0
    found = {tuple(c) for c in state['archive']['codes']}
    hits = len(found & truth)
    F_true = F[true_mask]
    hv = HV(ref_point=F_true.max(0) * 1.1)
    return dict(
        space=len(codes),
        filtered=problem.size,
        evaluated=state['n_eval'],
        true=len(truth),
        found=len(found),
        recall=hits / len(truth),
        precision=hits / max(len(found), 1),
        hv_ratio=hv(np.array(state['archive']['F'])) / hv(F_true),
        seconds=wall)


def row(name, q):
    print(f'{name:<28} {q["space"]:>9} {q["filtered"]:>9} '
          f'{q["evaluated"]:>6} {q["true"]:>5} {q["found"]:>5} '
          f'{q["recall"]:>7.3f} {q["precision"]:>9.3f} {q["hv_ratio"]:>8.4f} '
          f'{q["seconds"]:>6.2f}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, default=5)
    parser.add_argument('--pop-size', type=int, default=64)
    parser.add_argument('--n-gen', type=int, default=50)
    parser.add_argument(
        '--work-dir', help='a finished search: its library and LUT too')
    args = parser.parse_args()
    print(f'NSGA-II pop {args.pop_size} x {args.n_gen} generations, '
          f'ordinal operators over the KD-filtered space')
    print(f'{"space":<28} {"size":>9} {"filtered":>9} {"evals":>6} '
          f'{"true":>5} {"found":>5} {"recall":>7} {"precision":>9} '
          f'{"HV ratio":>8} {"s":>6}')
    results = []
    for shape in ([8] * 5, [6] * 6, [12, 12, 13, 13, 12]):
        for seed in range(args.seeds):
            library, latency = synthetic_library(shape, seed=seed)
            q = quality(library, latency, 0.0, args.pop_size, args.n_gen, seed)
            results.append(q)
            row(f'synthetic {"x".join(map(str, shape))} s{seed}', q)
    if args.work_dir:
        from mmdonna.latency import LatencyLUT
        from mmdonna.library import BlockLibrary
        library = BlockLibrary.load(
            osp.join(args.work_dir, 'block_library.json'))
        for path in sorted(glob.glob(osp.join(args.work_dir, '*lut*.json'))):
            if path.endswith('_validation.json'):
                continue
            lut = LatencyLUT.load(path, library.space)
            tables, offset = lut.tables()
            q = quality(library, tables, offset, args.pop_size, args.n_gen, 0)
            results.append(q)
            row(f'real {lut.target_id}', q)
    rec = np.array([q['recall'] for q in results])
    hv = np.array([q['hv_ratio'] for q in results])
    print(f'over {len(results)} spaces: recall mean {rec.mean():.3f} (min '
          f'{rec.min():.3f}), HV ratio mean {hv.mean():.4f} (min '
          f'{hv.min():.4f})')


if __name__ == '__main__':
    main()
