"""Fidelity of the latency LUT: predicted vs measured whole-model ONNX
Runtime latency of random architectures, measured in one run.

The search space is the digits MobileNetV2 BKD config's (5 blocks x 12
options: MBConv kernels/expansions/depths, SE/HSwish, ResNet-style and
attention blocks). Its digits input is 32x32, where every network runs in
~0.1 ms and per-operator dispatch, not compute, is what is timed; by default
the teacher runs at ImageNet resolution (--input-size 224, stock MobileNetV2
width --widen 1.0) so the numbers mean something. Then:

1. build the LUT: every option of every block alone at the input shape it
   sees in the network, the teacher's own blocks, the whole teacher, and
   ``--calibrate`` random whole architectures for the affine correction;
2. measure ``--archs`` other random whole architectures and compare;

both ``--passes`` times, alternating (LUT pass 1, validation pass 1, LUT
pass 2, ...), every entry keeping its least disturbed pass.

It prints the mean / max absolute % error of the calibrated prediction (what
the search uses) and of the plain "teacher + sum of option deltas" sum, and
the speed of ``predict_batch``.

    python benchmarks/lut_fidelity.py [--archs 30] [--input-size 224]
        [--widen 1.0] [--clock thread_cpu] [--cache-flush-mb 4] [--passes 2]
        [--metric min_ms] [--work-dir DIR]

The defaults are the host target of configs/_base_/latency/host_ort.py.
"""
import argparse
import copy
import tempfile
import time

import numpy as np

CONFIG = 'configs/classification/mobilenetv2_digits_search.py'


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default=CONFIG)
    p.add_argument('--archs', type=int, default=30)
    p.add_argument('--calibrate', type=int, default=8)
    p.add_argument('--input-size', type=int, default=224)
    p.add_argument('--widen', type=float, default=1.0)
    p.add_argument('--metric', default='min_ms')
    p.add_argument(
        '--clock',
        default='thread_cpu',
        help="'thread_cpu' (robust to other processes on a shared host) or "
        "'wall'")
    p.add_argument('--warmup', type=int, default=10)
    p.add_argument('--repeats', type=int, default=50)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--cache-flush-mb', type=float, default=4.0)
    p.add_argument('--passes', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument(
        '--work-dir', help='keep (and resume) the LUT and validation here')
    return p.parse_args()


def main():
    args = parse_args()
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmdonna  # noqa: F401
    from mmdonna.latency import LatencyLUT, OnnxRuntimeEstimator
    from mmdonna.registry import MODELS
    from mmdonna.stages import bkd_config

    # the supernet the config's donna section derives
    cfg = bkd_config(Config.fromfile(args.config))
    init_default_scope(cfg.get('default_scope', 'mmdonna'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.teacher_checkpoint = None
    model_cfg.input_shape = (3, args.input_size, args.input_size)
    model_cfg.teacher.backbone.widen_factor = args.widen
    supernet = MODELS.build(model_cfg)
    teacher, space = supernet.teacher.eval(), supernet.space
    est = OnnxRuntimeEstimator(
        intra_op_threads=args.threads,
        clock=args.clock,
        cache_flush_mb=args.cache_flush_mb,
        warmup=args.warmup,
        repeats=args.repeats)
    shape = (1, ) + tuple(model_cfg.input_shape)
    print(f'space: {space}; teacher MobileNetV2 x{args.widen} at '
          f'{list(shape)}; target {est.target_id}, cache flush '
          f'{args.cache_flush_mb:g} MiB, warmup {args.warmup}, repeats '
          f'{args.repeats}, metric {args.metric}, passes {args.passes}')
    work = args.work_dir or tempfile.mkdtemp(prefix='lut_fidelity_')
    # LUT and validation sweeps alternate pass by pass, so that both sample
    # the same periods of the shared machine's speed (it drifts by ~10 %
    # over minutes with the neighbours' load): with all LUT passes first the
    # drift between the two phases would be measured, not the LUT
    t_lut = t_val = 0.0
    for p in range(1, args.passes + 1):
        t0 = time.time()
        lut = LatencyLUT.build(
            teacher,
            space,
            est,
            shape,
            out_file=f'{work}/latency_lut.json',
            metric=args.metric,
            calibrate=args.calibrate,
            seed=args.seed,
            passes=p,
            progress=False)
        t_lut += time.time() - t0
        t0 = time.time()
        rep = lut.validate(
            teacher,
            space,
            est,
            k=args.archs,
            seed=args.seed + 1,
            passes=p,
            out_file=f'{work}/latency_lut_validation.json',
            progress=False)
        t_val += time.time() - t0

    print(f'\n{"code":<22} {"LUT ms":>8} {"plain sum":>9} {"measured":>9} '
          f'{"err %":>6} {"plain %":>7}')
    for a in rep['archs']:
        print(f'{str(a["code"]):<22} {a["predicted_ms"]:8.3f} '
              f'{a["uncalibrated_ms"]:9.3f} {a["measured_ms"]:9.3f} '
              f'{a["abs_pct_error"]:6.2f} '
              f'{a["uncalibrated_abs_pct_error"]:7.2f}')
    cal = rep['calibration']
    print(f'\nteacher {lut.teacher_ms:.3f} ms, fixed part (teacher - its '
          f'blocks alone) {lut.fixed_ms:.3f} ms')
    print(f'calibration on {cal["points"]} whole models (teacher + '
          f'{cal["points"] - 1} random, disjoint from the validation set): '
          f'measured = {cal["offset"]:.3f} ms + {cal["scale"]:.3f} x '
          f'sum(options)')
    print(f'LUT built in {t_lut:.0f} s ({args.passes} pass(es) over '
          f'{sum(space.num_options) + space.num_blocks} blocks + '
          f'{args.calibrate + 1} whole models), validation of '
          f'{rep["measured"]} architectures in {t_val:.0f} s '
          f'({rep["failed"]} failed)')

    codes = np.stack([
        np.random.default_rng(7).integers(0, n, 100_000)
        for n in space.num_options
    ], 1)
    t0 = time.perf_counter()
    for _ in range(10):
        lut.predict_batch(codes)
    rate = 10 * len(codes) / (time.perf_counter() - t0)
    print(f'predict_batch: {rate:,.0f} architectures/s')
    print(f'\nRESULT LUT vs measured over {rep["measured"]} random '
          f'architectures: mean abs error {rep["mean_abs_pct_error"]:.2f} %, '
          f'max {rep["max_abs_pct_error"]:.2f} % (plain sum without '
          f'calibration: mean {rep["uncalibrated_mean_abs_pct_error"]:.2f} %,'
          f' max {rep["uncalibrated_max_abs_pct_error"]:.2f} %)')


if __name__ == '__main__':
    main()
