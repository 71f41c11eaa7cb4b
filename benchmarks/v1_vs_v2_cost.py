"""DONNA (v1) versus DONNAv2 on one search space, in one run: the cost of
each, stage by stage, and the quality of the fronts each returns.

    python benchmarks/v1_vs_v2_cost.py [--config C] [--work-dir W]
        [--predictor-archs 24] [--predictor-epochs 3] [--num-front 3]
        [--seeds 3] [--epochs 3] [--out cost.json] [--quick]

The default space is the one of ``pareto_vs_baselines.py classification``
(MobileNetV2 on the distorted digits); ``--quick`` runs the plain digits
demo.

Both start from the same teacher, BKD and latency LUT (``<work_dir>/bkd``,
run once, their cost counted in both totals; the teacher is an input of
both and left out). Then, in ``<work_dir>/v1`` and ``<work_dir>/v2``:

- v1 (DONNA): ``--predictor-archs`` architectures drawn from the space,
  exported from the BKD weights and finetuned with KD for
  ``--predictor-epochs`` (``donna.predictor``), the linear accuracy
  predictor fitted on them (``mmdonna.LinearAccuracyPredictor``), no
  option filter, the search of the predicted error against LUT latency and
  hardware in the loop;
- v2 (DONNAv2): the KD filter, the search of the block-loss sum against LUT
  latency and hardware in the loop.

The re-ranking stage is off in both. Cost is CPU-seconds
(``time.process_time()`` plus finished children's user + system time) and
wall seconds per stage; a stage that resumes after a kill counts only the
resumed part.

Quality: ``--num-front`` architectures spread over each front (by measured
latency) are exported and finetuned identically (KD, ``--epochs``, the
same ``--seeds``; an architecture on both fronts is finetuned once); each
point is (1 - mean top-1 / 100, measured latency / the teacher's measured
latency on that arm), and the hypervolume (pymoo) of each arm's points is
taken against the reference point ``--ref`` (default (1.0, 1.5)).

Measured (one run each, 2 CPU cores shared with other benchmarks):

- defaults (the distorted digits, 24 predictor architectures of 3 epochs,
  as the front's finetune; 3 front architectures per arm, 3 seeds of
  3-epoch finetunes each; 38 min): v1 1,011 CPU-s (BKD 100, LUT 10,
  predictor 871, hil 29) versus v2 133 CPU-s (the same BKD and LUT, hil
  22); the teacher (135 CPU-s) is left out of both. Fronts of 114 (v1) and
  87 (v2); finetuned (top-1 % mean ± std over seeds, latency / teacher) v1
  (93.9 ± 0.4, 0.50), (95.6 ± 0.4, 0.66), (95.6 ± 0.9, 1.05), v2 (94.0 ±
  0.2, 0.52), (95.9 ± 0.4, 0.63), (95.6 ± 0.9, 0.98) (the slowest of both
  fronts is the same architecture, finetuned once, its latency measured
  on each arm): ``RESULT cost_v2_over_v1=0.1312 hv_v2_over_v1=0.9842``
  (per seed 0.985 ± 0.002);
- the plain digits demo (1,258 training images), 24 predictor
  architectures of 1 and of 3 epochs, 2 seeds: ``cost_v2_over_v1`` 0.27 and
  0.25 at ``hv_v2_over_v1`` 0.98 and 0.96: there a predictor architecture
  costs 9-11 CPU-s of which an epoch is 0.75 (export, BN re-estimation, a
  Runner and its validation dominate), so v1's extra cost is mostly
  overhead; with 4x the images per epoch it is 36 CPU-s and the ratio
  falls to 0.13. The ratio is the predictor's finetunes over BKD: it
  scales with ``--predictor-archs``, ``--predictor-epochs`` and the cost
  of an epoch.

Everything resumes from ``<work_dir>`` (the stages' own artefacts, and
``<work_dir>/state.json`` for costs and finetunes, one atomic write each).
The last line is ``RESULT cost_v2_over_v1=<x> hv_v2_over_v1=<y>``; ``--out``
writes the whole report as JSON.
"""
import argparse
import copy
import json
import os
import os.path as osp
import resource
import time

import numpy as np
from _shared.budgets import DEMO_QUICK as QUICK
from mmengine.config import Config

#: the space of pareto_vs_baselines.py classification: its 4x larger
#: epochs make a finetune epoch, not the Runner, the predictor's cost
CFG = 'configs/classification/mobilenetv2_distorted_digits_search.py'
#: --quick with the default config: the plain digits demo
QUICK_CFG = 'configs/classification/mobilenetv2_digits_search.py'
ARMS = ('v1', 'v2')
SHARED = ('bkd', 'lut')


def cpu_seconds() -> float:
    """CPU time of this process and its finished children."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + r.ru_utime + r.ru_stime


def finetune_budget(epochs: int, seed: int, num_train=None) -> dict:
    budget = dict(
        randomness=dict(seed=seed),
        train_cfg=dict(by_epoch=True, max_epochs=epochs, val_interval=epochs),
        param_scheduler=dict(
            type='CosineAnnealingLR', by_epoch=True, T_max=epochs),
        default_hooks=dict(logger=dict(interval=1000)))
    if num_train:  # --quick: subsets of the training and validation data
        budget['train_dataloader'] = dict(dataset=dict(indices=num_train))
        budget['val_dataloader'] = dict(dataset=dict(indices=num_train // 2))
    return budget


def arm_config(cfg: Config, arm: str, args, num_train) -> Config:
    """The ``donna`` section of one arm (a copy of ``cfg``)."""
    c = copy.deepcopy(cfg)
    c.donna.rerank = dict(enabled=False)
    c.donna.finetune.models = None
    if arm == 'v1':
        c.donna.surrogate = dict(
            type='mmdonna.LinearAccuracyPredictor',
            min_archs=min(8, args.predictor_archs))
        # DONNA searches the whole space: no option is dropped
        c.donna.filter = dict(
            type='mmdonna.KDFilter', drop_dominated=False, max_cost_ratio=None)
        budget = finetune_budget(args.predictor_epochs, 0, num_train)
        budget.pop('randomness')
        c.donna.predictor = dict(
            num_archs=args.predictor_archs, finetune=budget)
    return c


def link_shared(shared: str, arm_dir: str) -> None:
    """The teacher, BKD and LUT of ``shared`` in ``arm_dir`` (symlinks):
    the arm's stages find them done."""
    os.makedirs(arm_dir, exist_ok=True)
    for name in os.listdir(shared):
        if name in ('logs', ) or name.endswith('.png'):
            continue
        dst = osp.join(arm_dir, name)
        if not osp.lexists(dst):
            os.symlink(osp.abspath(osp.join(shared, name)), dst)


def run_timed(ctx, stages, costs: dict, save) -> None:
    """Run ``stages`` ([(name, fn)]) on ``ctx``; the cost of each that is
    not recorded in ``costs`` yet is, once it ends."""
    for name, fn in stages:
        c0, w0 = cpu_seconds(), time.time()
        fn(ctx)
        if name not in costs:
            costs[name] = dict(
                cpu_s=cpu_seconds() - c0, wall_s=time.time() - w0)
            save()


def spread(front: list, k: int) -> list:
    """``k`` members of ``front`` spread evenly over it by latency."""
    order = sorted(front, key=lambda a: a['latency'])
    idx = np.unique(np.round(np.linspace(0, len(order) - 1, k)).astype(int))
    return [order[i] for i in idx]


def hypervolume(points: np.ndarray, ref) -> float:
    from pymoo.indicators.hv import HV
    return float(HV(ref_point=np.asarray(ref, float))(points))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CFG)
    parser.add_argument('--work-dir', default='work_dirs/v1_vs_v2_cost')
    parser.add_argument(
        '--predictor-archs',
        type=int,
        default=None,
        help='finetuned architectures of the v1 predictor (default: '
        'donna.predictor.num_archs of the config, 24)')
    parser.add_argument(
        '--predictor-epochs',
        type=int,
        default=3,
        help='finetune epochs of each predictor architecture (default: '
        'the front finetune\'s, as DONNA finetunes them like the final '
        'models)')
    parser.add_argument('--num-front', type=int, default=3)
    parser.add_argument('--seeds', type=int, default=3)
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--ref', type=float, nargs=2, default=(1.0, 1.5))
    parser.add_argument('--out', help='write the report as JSON here')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='smoke run: 4-epoch teacher, 1-epoch BKD, 5 predictor archs, '
        '2 front archs, 1 seed of 1-epoch finetunes on 256 images, '
        'validation on 128')
    args = parser.parse_args()
    import mmdonna  # noqa: F401
    from mmdonna.export import export_subnet
    from mmdonna.export.subnet_export import calibration_loader
    from mmdonna.stages import StageContext, finetune_accuracy
    from mmdonna.stages.bkd import bkd
    from mmdonna.stages.predictor import predictor
    from mmdonna.stages.quiet_runner import stage_logger
    from mmdonna.stages.search import hil, kd_filter, lut, search
    from mmdonna.stages.teacher import teacher
    from mmdonna.stages.validate import validate_config
    from mmdonna.utils import atomic_write_json

    t_start = time.time()
    if args.quick and args.config == CFG:
        args.config = QUICK_CFG
    cfg = Config.fromfile(args.config)
    num_train = None
    if args.quick:
        args.predictor_archs = args.predictor_archs or 5
        args.num_front, args.epochs, num_train = 2, 1, 256
        args.seeds = 1
        args.predictor_epochs = 1
        cfg.merge_from_dict(QUICK)
    if args.predictor_archs is None:
        args.predictor_archs = cfg.donna.get('predictor',
                                             {}).get('num_archs', 24)
    root = args.work_dir
    os.makedirs(root, exist_ok=True)
    state_file = osp.join(root, 'state.json')
    settings = dict(
        config=args.config,
        predictor_archs=args.predictor_archs,
        predictor_epochs=args.predictor_epochs,
        epochs=args.epochs,
        num_train=num_train)
    state = dict(
        settings=settings, costs=dict(shared={}, v1={}, v2={}), accuracy={})
    if osp.exists(state_file):
        with open(state_file) as f:
            state = json.load(f)
        if state.get('settings') != settings:
            raise SystemExit(f'error: {state_file} was made with '
                             f'{state.get("settings")}, this run is '
                             f'{settings}; use another --work-dir')

    def save():
        atomic_write_json(state_file, state)

    # ---- shared: teacher, BKD, LUT ---------------------------------------
    shared_dir = osp.join(root, 'bkd')
    cfgs = {a: arm_config(cfg, a, args, num_train) for a in ARMS}
    ctx = StageContext(
        cfgs['v2'],
        shared_dir,
        logger=stage_logger(shared_dir).instance_name,
        settings=validate_config(cfgs['v2']))
    run_timed(ctx, [('teacher', teacher), ('bkd', bkd), ('lut', lut)],
              state['costs']['shared'], save)
    teacher_ckpt = ctx.teacher_checkpoint

    # ---- the two arms ----------------------------------------------------
    stages = dict(
        v1=[('teacher', teacher), ('bkd', bkd), ('lut', lut),
            ('predictor', predictor), ('filter', kd_filter),
            ('search', search), ('hil', hil)],
        v2=[('teacher', teacher), ('bkd', bkd), ('lut', lut),
            ('filter', kd_filter), ('search', search), ('hil', hil)])
    ctxs = {}
    for arm in ARMS:
        arm_dir = osp.join(root, arm)
        link_shared(shared_dir, arm_dir)
        ctxs[arm] = StageContext(
            cfgs[arm],
            arm_dir,
            # only the arm's own stages may work: the shared teacher, BKD and
            # LUT must be found done (a StageError otherwise)
            only='hil',
            logger=stage_logger(arm_dir).instance_name,
            settings=validate_config(cfgs[arm]))
        run_timed(ctxs[arm], stages[arm], state['costs'][arm], save)

    # ---- the fronts, finetuned identically --------------------------------
    points, picked = {}, {}
    sub = osp.join(root, 'eval')
    os.makedirs(sub, exist_ok=True)
    lib = osp.join(sub, 'block_library.json')
    if not osp.lexists(lib):  # the subnets' DonnaBackbone checks against it
        os.symlink(
            osp.abspath(osp.join(shared_dir, 'block_library.json')), lib)
    for arm in ARMS:
        c = ctxs[arm]
        target, entry = next(iter(c.pareto['targets'].items()))
        source = 'latency_measured_ms'
        if entry['teacher'].get(source) is None:  # no hardware in the loop
            source = 'latency_lut_ms'
        teacher_ms = entry['teacher'][source]
        front = [
            dict(a, latency=a[source] / teacher_ms) for a in entry['front']
        ]
        picked[arm] = spread(front, args.num_front)
        supernet = c.build_supernet()
        bn = c.settings['bkd']['bn_calib_batches']
        loader = calibration_loader(c.teacher_cfg) if bn else None
        pts = []
        for a in picked[arm]:
            key = ','.join(map(str, a['code']))
            name = 'arch_' + key.replace(',', '_')
            py = osp.join(sub, 'subnets', name + '.py')
            accs = state['accuracy'].setdefault(key, {})
            for s in range(args.seeds):
                if str(s) in accs:
                    continue
                if not osp.exists(py):
                    export_subnet(
                        c.teacher_cfg,
                        teacher_ckpt,
                        sub,
                        supernet,
                        a['code'],
                        name,
                        bn_calib_batches=bn,
                        calib_loader=loader)
                accs[str(s)] = finetune_accuracy(
                    py, osp.join(sub, 'finetune', f'{name}_s{s}'),
                    finetune_budget(args.epochs, s, num_train), c.metric, bn)
                save()
                print(f'{arm} {name} seed {s}: {accs[str(s)]:.2f}', flush=True)
            per_seed = [accs[str(s)] for s in range(args.seeds)]
            acc = float(np.mean(per_seed))
            a.update(
                top1=acc,
                top1_per_seed=per_seed,
                top1_std=float(np.std(per_seed, ddof=1))
                if len(per_seed) > 1 else 0.0,
                point=[1 - acc / 100, a['latency']])
            pts.append(a['point'])
        points[arm] = np.array(pts)

    # ---- report ----------------------------------------------------------
    total = {}
    for arm in ARMS:
        per = {k: state['costs']['shared'][k] for k in SHARED}
        # the arm's own teacher / BKD / LUT stages only found them done
        per.update({
            k: v
            for k, v in state['costs'][arm].items()
            if k not in ('teacher', ) + SHARED
        })
        total[arm] = dict(
            stages=per,
            cpu_s=sum(v['cpu_s'] for v in per.values()),
            wall_s=sum(v['wall_s'] for v in per.values()))
    hv = {a: hypervolume(points[a], args.ref) for a in ARMS}
    # the same per seed: the spread of the ratio
    hv_seed = {
        a: [
            hypervolume(
                np.array([[1 - p['top1_per_seed'][s] / 100, p['latency']]
                          for p in picked[a]]), args.ref)
            for s in range(args.seeds)
        ]
        for a in ARMS
    }
    hv_ratio_seed = [
        v2 / v1 for v1, v2 in zip(hv_seed['v1'], hv_seed['v2']) if v1 > 0
    ]
    cost_ratio = total['v2']['cpu_s'] / total['v1']['cpu_s']
    hv_ratio = hv['v2'] / hv['v1'] if hv['v1'] > 0 else float('nan')
    report = dict(
        task=args.config,
        predictor_archs=args.predictor_archs,
        predictor_epochs=args.predictor_epochs,
        num_front=args.num_front,
        seeds=args.seeds,
        epochs=args.epochs,
        num_train=num_train,
        ref_point=list(args.ref),
        teacher_cost=state['costs']['shared'].get('teacher'),
        cost=total,
        front_size={
            a: len(next(iter(ctxs[a].pareto['targets'].values()))['front'])
            for a in ARMS
        },
        finetuned={
            a: [
                dict(
                    code=p['code'],
                    top1=p['top1'],
                    top1_std=p['top1_std'],
                    top1_per_seed=p['top1_per_seed'],
                    latency_over_teacher=p['latency']) for p in picked[a]
            ]
            for a in ARMS
        },
        hypervolume=hv,
        cost_v2_over_v1=cost_ratio,
        hv_v2_over_v1=hv_ratio,
        hv_v2_over_v1_per_seed=hv_ratio_seed,
        runtime_s=time.time() - t_start)
    if args.out:
        atomic_write_json(args.out, report)
    for arm in ARMS:
        t = total[arm]
        print(f'{arm}: ' +
              ', '.join(f'{k} {v["cpu_s"]:.1f} cpu-s / {v["wall_s"]:.1f} s'
                        for k, v in t['stages'].items()) +
              f'; total {t["cpu_s"]:.1f} cpu-s / {t["wall_s"]:.1f} s')
        print(f'{arm}: front of {report["front_size"][arm]}; finetuned '
              f'(top-1 %, latency / teacher): ' +
              ', '.join(f'({p["top1"]:.1f} ± {p["top1_std"]:.1f}, '
                        f'{p["latency"]:.3f})'
                        for p in picked[arm]) + f'; HV {hv[arm]:.4f}')
    spread_ = (f'{np.mean(hv_ratio_seed):.3f} ± '
               f'{np.std(hv_ratio_seed, ddof=1):.3f}'
               if len(hv_ratio_seed) > 1 else 'one seed')
    print(f'reference point {tuple(args.ref)}, {args.seeds} seeds per '
          f'architecture (hv_v2_over_v1 per seed {spread_}), runtime '
          f'{report["runtime_s"]:.0f} s')
    print(f'RESULT cost_v2_over_v1={cost_ratio:.4f} '
          f'hv_v2_over_v1={hv_ratio:.4f}')


if __name__ == '__main__':
    main()
