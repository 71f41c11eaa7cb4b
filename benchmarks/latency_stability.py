"""Stability of repeated latency measurements of the same model, measured in
one run, for several ways of timing it with ONNX Runtime.

Each setting measures the same network ``--calls`` times (a fresh export and
session each time, ``--warmup`` untimed runs, ``--repeats`` timed runs); the
settings take turns so that they see the same load from other processes.
Printed per setting:

* run CV: the spread of the runs inside one measurement (median over calls
  of std / mean);
* call CV: the spread of the reported statistic across calls (std / mean of
  the ``--calls`` medians, or minima) -- what decides whether two options of
  a block can be ranked.

    python benchmarks/latency_stability.py [--calls 8] [--input-size 224]
"""
import argparse
import copy

import numpy as np

CONFIG = 'configs/classification/mobilenetv2_digits_search.py'
SETTINGS = {
    # name: (estimator kwargs, statistic)
    'wall, all cores (not pinned), median':
    (dict(intra_op_threads=0, inter_op_threads=0,
          allow_spinning=True), 'median_ms'),
    'wall, 1 thread, median': (dict(), 'median_ms'),
    'wall, 1 thread, min': (dict(), 'min_ms'),
    'thread CPU, 1 thread, median': (dict(clock='thread_cpu'), 'median_ms'),
    'thread CPU, 1 thread, min': (dict(clock='thread_cpu'), 'min_ms'),
    'thread CPU + 4 MiB cache flush, min (host_ort)':
    (dict(clock='thread_cpu', cache_flush_mb=4), 'min_ms'),
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default=CONFIG)
    p.add_argument('--calls', type=int, default=8)
    p.add_argument('--input-size', type=int, default=224)
    p.add_argument('--widen', type=float, default=1.0)
    p.add_argument('--warmup', type=int, default=10)
    p.add_argument('--repeats', type=int, default=50)
    return p.parse_args()


def main():
    args = parse_args()
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmdonna  # noqa: F401
    from mmdonna.export import TensorForward
    from mmdonna.latency import OnnxRuntimeEstimator
    from mmdonna.registry import MODELS
    from mmdonna.search_space import build_option
    from mmdonna.stages import bkd_config

    # the supernet the config's donna section derives
    cfg = bkd_config(Config.fromfile(args.config))
    init_default_scope(cfg.get('default_scope', 'mmdonna'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.teacher_checkpoint = None
    model_cfg.input_shape = (3, args.input_size, args.input_size)
    model_cfg.teacher.backbone.widen_factor = args.widen
    supernet = MODELS.build(model_cfg)
    block = supernet.space.blocks[2]
    option = build_option(
        block.options[0], block.in_shape, block.out_shape, check=False)
    models = {
        f'whole MobileNetV2 x{args.widen} at {args.input_size}':
        (TensorForward(supernet.teacher.eval()), (1, 3, args.input_size,
                                                  args.input_size)),
        f'one option of {block.path} {block.options[0]}':
        (option.eval(), (1, ) + tuple(block.in_shape)),
    }
    estimators = {
        name:
        (OnnxRuntimeEstimator(warmup=args.warmup, repeats=args.repeats,
                              **kw), stat)
        for name, (kw, stat) in SETTINGS.items()
    }
    for title, (module, shape) in models.items():
        res = {name: [] for name in estimators}
        for _ in range(args.calls):
            for name, (est, _) in estimators.items():
                res[name].append(est.measure(module, shape))
        print(f'\n{title}, input {list(shape)}: {args.calls} calls x '
              f'({args.warmup} warm-up + {args.repeats} timed runs)')
        print(f'  {"setting":<46} {"ms":>8} {"run CV":>7} {"call CV":>8}')
        for name, (_, stat) in estimators.items():
            vals = np.array([r[stat] for r in res[name]])
            run_cv = np.median([r['cv'] for r in res[name]])
            call_cv = vals.std() / vals.mean()
            print(f'  {name:<46} {np.median(vals):8.3f} {run_cv:7.3f} '
                  f'{call_cv:8.4f}')


if __name__ == '__main__':
    main()
