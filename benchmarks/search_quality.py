"""The exact front search and NSGA-II vs the true Pareto front, side by
side on the same spaces small enough to enumerate, measured in one run:
recall (share of the true front found), precision (share of the returned
front that is truly Pareto-optimal) and hypervolume ratio (pymoo's HV
indicator, reference point 10% beyond the true front's worst point).

Synthetic block libraries (several seeds), optionally plus a real one: pass
the work dir of a finished search (its block_library.json and latency LUT).
The true front is computed over the FULL space; both searches run over the
KD filter's space, so any loss from the filter shows as well.

    python benchmarks/search_quality.py [--work-dir work_dirs/...search]

One run (2 shared CPU cores), defaults, 15 synthetic spaces (8^5, 6^6 and
12-13 options x 5 blocks, 5 seeds each; 3e4-3e5 architectures): exact front
recall 1.000 (min 1.000), precision 1.000, HV ratio 1.0000 (min 1.0000),
0.001 s per space; NSGA-II (64 x 50 = 3,200 evaluations) recall mean 0.956
(min 0.850), precision mean 0.985 (min 0.946), HV ratio mean 0.9992 (min
0.9947), 0.38 s per space.
"""
import argparse
import glob
import os.path as osp
import time

import numpy as np
from pymoo.indicators.hv import HV

from mmdonna.filter import KDFilter, pareto_mask
from mmdonna.search import (ArchObjectives, ArchProblem, run_nsga2,
                            search_exact, synthetic_library)
from mmdonna.surrogate import BlockLossSum


def scores(codes, F, truth, F_true, hv):
    found = {tuple(c) for c in codes}
    hits = len(found & truth)
    return dict(
        found=len(found),
        recall=hits / len(truth),
        precision=hits / max(len(found), 1),
        hv_ratio=hv(np.asarray(F).reshape(-1, 2)) / hv(F_true))


def quality(library, latency, offset, pop_size, n_gen, seed, slack=0.0):
    surrogate = BlockLossSum(normalize='mean')
    surrogate.setup(library, '')
    objectives = ArchObjectives(surrogate, dict(latency=(latency, offset)))
    codes = np.array(list(library.space.enumerate()))
    F, _ = objectives(codes)
    true_mask = pareto_mask(F)
    truth = {tuple(c) for c in codes[true_mask]}
    F_true = F[true_mask]
    hv = HV(ref_point=F_true.max(0) * 1.1)
    blocks = KDFilter(slack=slack).filter_target(library, latency)
    kept = [blocks[p]['kept'] for p in library.space.paths]
    problem = ArchProblem(kept, objectives)
    t0 = time.perf_counter()
    state = run_nsga2(problem, pop_size, n_gen, seed=seed)
    nsga = scores(state['archive']['codes'], state['archive']['F'], truth,
                  F_true, hv)
    nsga.update(evaluated=state['n_eval'], seconds=time.perf_counter() - t0)
    t0 = time.perf_counter()
    ex_codes, ex_F, front = search_exact(objectives, kept)
    exact = scores(ex_codes, ex_F, truth, F_true, hv)
    exact.update(evaluated=front.evaluated, seconds=time.perf_counter() - t0)
    return dict(
        space=len(codes),
        filtered=problem.size,
        true=len(truth),
        nsga2=nsga,
        exact=exact)


def row(name, q):
    cells = [f'{name:<28} {q["space"]:>8} {q["filtered"]:>8} {q["true"]:>5}']
    for k in ('nsga2', 'exact'):
        r = q[k]
        cells.append(f'{r["evaluated"]:>6} {r["found"]:>5} '
                     f'{r["recall"]:>6.3f} {r["precision"]:>6.3f} '
                     f'{r["hv_ratio"]:>7.4f} {r["seconds"]:>6.3f}')
    print(' | '.join(cells))


def summary(name, results):
    rec = np.array([q[name]['recall'] for q in results])
    pre = np.array([q[name]['precision'] for q in results])
    hv = np.array([q[name]['hv_ratio'] for q in results])
    sec = np.array([q[name]['seconds'] for q in results])
    print(f'{name}: recall mean {rec.mean():.3f} (min {rec.min():.3f}), '
          f'precision mean {pre.mean():.3f} (min {pre.min():.3f}), HV ratio '
          f'mean {hv.mean():.4f} (min {hv.min():.4f}), {sec.mean():.3f} s '
          f'per space')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, default=5)
    parser.add_argument('--pop-size', type=int, default=64)
    parser.add_argument('--n-gen', type=int, default=50)
    parser.add_argument(
        '--work-dir', help='a finished search: its library and LUT too')
    args = parser.parse_args()
    print(f'NSGA-II pop {args.pop_size} x {args.n_gen} generations, '
          f'ordinal operators, and the exact front, both over the '
          f'KD-filtered space')
    cols = (f'{"evals":>6} {"found":>5} {"recall":>6} {"prec.":>6} '
            f'{"HV":>7} {"s":>6}')
    print(f'{"":<52} | {"NSGA-II":<41} | exact')
    print(f'{"space":<28} {"size":>8} {"filtered":>8} {"true":>5} | {cols} | '
          f'{cols}')
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
    print(f'over {len(results)} spaces:')
    summary('exact', results)
    summary('nsga2', results)


if __name__ == '__main__':
    main()
