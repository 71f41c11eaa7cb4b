"""DONNA backbone search inside an MMDetection pipeline, end to end on CPU:
mAP and measured whole-detector latency of searched, finetuned detectors
next to their teacher.

On the built-in shapes data (generated offline as COCO json into
``data/generated/shapes``), this runs ``tools/search.py``'s pipeline for a
detection search config (default: RetinaNet-R18): teacher training, BKD of
the backbone blocks on detection images, block library, latency LUT of the
backbone options + the measured fixed part (neck and head at the real input
resolution), KD filter, NSGA-II on (block-loss sum, whole-detector latency),
whole-detector re-measurement of the front, export, and KD finetuning of
``--num-models`` front detectors (searched ``DonnaBackbone`` in the stock
neck/head, BKD initialisation, detection loss + feature distillation from the
teacher), evaluated next to the teacher with mmdet's ``CocoMetric`` on the
validation split. It also evaluates each finetuned detector at its BKD
initialisation (before finetuning), trains the teacher for the finetuning
schedule as a control (the finetuned detectors train that much longer than
the teacher did), and prints one table::

    python benchmarks/detection_search.py [--num-models 3] [--quick]

The LUT is built first (weights do not change latency, and nothing else of
this run trains meanwhile) and validated against ``--validate`` random whole
detectors, the ``latency.passes`` sweeps of both alternating (LUT 1,
validation 1, LUT 2, ...; 4 in the shapes configs) as
``tools/measure_latency.py --lut --validate`` does. On a shared CPU the
whole-detector timings drift by up to ~20 % within minutes even on the
thread-CPU clock (other processes' memory traffic and hyper-threads), so a
LUT measured at one time and validated at another mostly measures the drift:
the first version of this benchmark (one LUT pass in the search stage,
validation after finetuning, own training running meanwhile) reported
11.2 % mean / 22.0 % max error.

Every stage resumes from ``--work-dir`` (default
``work_dirs/detection_search``): a rerun only does what is missing.
Latencies are ONNX Runtime, one thread, on this CPU (the fastest of the
timed runs, see ``configs/_base_/latency/host_ort.py``), whole detector
(``TensorForward``: backbone, neck and head, no NMS) at 1x3x128x128.

Measured on 2026-11-29, RetinaNet-R18 (default schedules: teacher 12, BKD
4, finetuning 6 epochs; ``--num-models 3``: the fastest, middle and slowest
of the 49 front detectors; 2 CPU cores shared with three other sessions'
training and benchmarks, load average 4-5, ``OMP_NUM_THREADS=1``; 55 min,
~35 min with one model). bbox mAP on the 200 validation images; BKD-init:
before finetuning; latency measured whole in the search (one pass)::

    model               mAP  mAP50  BKD-init  LUT ms  meas. ms  params
    teacher           0.604  0.797              2.88      3.08   3.31M
    teacher +6 ep     0.734  0.934              2.88      3.08   3.31M
    arch00 (fastest)  0.686  0.888     0.009    1.45      1.64   0.72M
    arch24 (middle)   0.695  0.887     0.077    1.72      1.77   0.82M
    arch48 (slowest)  0.741  0.928     0.275    2.46      2.67   1.96M

The searched detectors are 1.88x / 1.74x / 1.15x faster than the teacher
(measured) and beat it in mAP, but they train 6 epochs longer than it did:
against the teacher trained as long ("teacher +6 ep") the fastest loses
0.048 mAP and the slowest gains 0.007. LUT vs measured, 10 random
detectors (4 alternating passes): mean abs error 2.7 %, max 9.3 %
(calibration offset + scale ~ 0.98 ms + 0.97 x block sum; the fixed part,
neck + head + stem, is 32 % of the teacher); on the 49 front detectors
(measured once each in the search, minutes later): mean 6.0 %, Kendall tau
0.72.

SSDLite-MobileNetV2 (``--config
configs/detection/ssdlite_mobilenetv2_shapes_search.py``, same schedules and
load, one model: the middle of a 77-detector front), worse::

    model               mAP  mAP50  BKD-init  LUT ms  meas. ms  params
    teacher           0.310  0.482              1.09      1.03   1.07M
    teacher +6 ep     0.405  0.610              1.09      1.03   1.07M
    arch38 (middle)   0.211  0.381     0.001    0.63      0.78   0.87M

The searched detector is 1.32x faster at -0.099 mAP (0.267 / mAP50 0.464
after 12 finetuning epochs instead of 6); the SSDLite teacher itself is far
from converged on these schedules. At ~1 ms this detector is dispatch-bound
(blocks take 0.05-0.3 ms alone) and the LUT is weaker: 6.1 % mean, 21.5 %
max error on 10 random detectors (the worst has two attention blocks, which
cost less inside the network than alone), 9.5 % mean and Kendall tau 0.42 on
the front.

"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner, find_latest_checkpoint

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

RESULT_FORMAT = 'mmdonna.detection_benchmark_result.v1'
METRICS = ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--config',
        default=osp.join(ROOT, 'configs', 'detection',
                         'retinanet_r18_shapes_search.py'),
        help='detection search config')
    parser.add_argument(
        '--work-dir', default=osp.join(ROOT, 'work_dirs', 'detection_search'))
    parser.add_argument('--teacher-epochs', type=int, default=None)
    parser.add_argument('--bkd-epochs', type=int, default=None)
    parser.add_argument('--finetune-epochs', type=int, default=None)
    parser.add_argument(
        '--num-models',
        type=int,
        default=1,
        help='front detectors to finetune (spread over the front)')
    parser.add_argument(
        '--validate',
        type=int,
        default=10,
        help='random whole detectors measured to validate the LUT')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='short schedules (teacher 6, BKD 2, finetune 3 epochs)')
    return parser.parse_args(argv)


def search_config(args) -> Config:
    """The search config with the benchmark's overrides."""
    cfg = Config.fromfile(args.config)
    cfg.work_dir = args.work_dir
    # trained by the pipeline into <work_dir>/teacher (and reused on rerun)
    cfg.donna.teacher_checkpoint = None
    if args.teacher_epochs:
        n = args.teacher_epochs
        cfg.train_cfg.update(max_epochs=n, val_interval=n)
        cfg.default_hooks.checkpoint.interval = n
        for s in cfg.param_scheduler:
            if s.get('type') == 'CosineAnnealingLR':
                s['T_max'] = n
    if args.bkd_epochs:
        cfg.donna.bkd.epochs = args.bkd_epochs
    # front detectors spread over the front
    cfg.donna.finetune.models = args.num_models
    if args.finetune_epochs:
        cfg.donna.finetune.epochs = args.finetune_epochs
    return cfg


def coco_metrics(metrics: dict) -> dict:
    """The COCO bbox figures; mmdet's CocoMetric returns nothing when no
    box passes the score threshold, which is an mAP of 0."""
    return {k: float(metrics.get(k, 0.0)) for k in METRICS}


def cached_metrics(cfg: Config, what: str, compute) -> dict:
    """``compute()``'s metrics of the run ``cfg`` describes, kept in
    ``<cfg.work_dir>/metrics.json`` under the config's hash: a rerun of the
    same config reads them back instead of running again."""
    from mmdonna.utils import (atomic_write_json, config_hash,
                               load_json_artifact)
    from mmdonna.utils.io import ArtifactError
    digest = config_hash(cfg.to_dict())
    out = osp.join(cfg.work_dir, 'metrics.json')
    try:
        return load_json_artifact(out, RESULT_FORMAT, digest, what)['metrics']
    except ArtifactError:
        pass
    metrics = compute()
    atomic_write_json(
        out, dict(format=RESULT_FORMAT, config_hash=digest, metrics=metrics))
    return metrics


def eval_metrics(cfg: Config,
                 out_dir: str,
                 load_from: Optional[str] = None) -> dict:
    """All COCO bbox figures of ``cfg``'s model on its validation split,
    with the weights of ``load_from`` or, without it, the model's own
    initialisation (an exported detector: its BKD-assembled weights).
    Resumable: a finished evaluation is read back from ``out_dir``."""
    from mmdonna.utils.config import validation_config
    cfg = validation_config(cfg, out_dir, load_from, osp.basename(out_dir))

    def evaluate():
        runner = Runner.from_cfg(cfg)
        if load_from is None:
            runner.model.init_weights()  # the BKD-assembled detector
        return coco_metrics(runner.val())

    return cached_metrics(cfg, 'detection metrics', evaluate)


def teacher_control(cfg: Config, work_dir: str, teacher_ckpt: str) -> dict:
    """COCO figures of the teacher trained further with the searched
    detectors' finetuning schedule (``donna.finetune``: epochs, optimizer,
    LR schedule; detection loss only). The finetuned detectors start from
    the teacher's neck/head and train that much longer than the teacher
    did: this control tells the search's effect from the extra epochs'
    (resumable)."""
    from mmdonna.stages import finetune_overrides, teacher_config
    tcfg = teacher_config(cfg)
    for key, value in finetune_overrides(cfg).items():
        if key != 'distill':
            tcfg[key] = copy.deepcopy(value)
    tcfg.load_from = teacher_ckpt
    tcfg.resume = False
    tcfg.work_dir = osp.join(work_dir, 'eval', 'teacher_control')
    tcfg.experiment_name = 'teacher_control'

    def train_and_evaluate():
        runner = Runner.from_cfg(tcfg)
        runner.train()
        return coco_metrics(runner.val())

    return cached_metrics(tcfg, 'teacher control', train_and_evaluate)


def validate_lut(cfg: Config, work_dir: str, k: int) -> Optional[dict]:
    """Build the latency LUT (backbone blocks + fixed part, calibrated) and
    validate it against ``k`` random whole detectors measured with the same
    estimator, their ``latency.passes`` sweeps alternating (LUT pass 1,
    validation pass 1, LUT pass 2, ...) as ``tools/measure_latency.py
    --lut --validate`` does, so that both sample the same periods of this
    shared machine's speed (resumable; the search then reuses the LUT)."""
    from mmdonna.latency.latency_config import latency_settings
    from mmdonna.latency.pipeline import run_measure_latency
    from mmdonna.stages import latency_config
    cfg = latency_config(cfg)
    res = run_measure_latency(
        cfg, work_dir, lut=True, validate=k, progress=False)
    if k <= 0:
        return None
    report = res['validation']
    fixed, teacher = res['lut']['fixed_ms'], res['lut']['teacher_ms']
    report['fixed_pct_of_teacher'] = 100.0 * fixed / teacher
    report['passes'] = latency_settings(cfg.get('latency'))['passes']
    return report


def run(args) -> dict:
    from mmdonna.stages import (donna_settings, finetune_overrides,
                                finetuned_checkpoint, run_stages,
                                teacher_config)
    work_dir = args.work_dir
    cfg = search_config(args)
    # the LUT first, on an otherwise idle process (weights do not change
    # latency), validated in alternating passes
    validation = validate_lut(cfg, work_dir, args.validate)
    # teacher, BKD, library, LUT, filter, NSGA-II, hardware in the loop, the
    # export of every front detector to subnets/<name>.py + .pth and the KD
    # finetuning of donna.finetune.models of them next to the teacher
    stages = run_stages(cfg, work_dir).rows
    with open(osp.join(work_dir, 'pareto.json')) as f:
        pareto = json.load(f)
    with open(osp.join(work_dir, 'finetune_results.json')) as f:
        finetuned = json.load(f)
    target, entry = next(iter(pareto['targets'].items()))
    by_name = {a['name']: a for a in entry['front']}
    teacher, rows = None, []
    for r in finetuned['rows']:
        if r['target'] != target:
            continue
        if r['name'] == 'teacher':
            teacher = r
            continue
        sub = Config.fromfile(osp.join(work_dir, 'subnets', r['name'] + '.py'))
        rows.append(
            dict(
                r,
                arch=by_name[r['name']]['arch'],
                coco=eval_metrics(sub, osp.join(work_dir, 'eval', r['name']),
                                  finetuned_checkpoint(sub.work_dir)),
                bkd_init=eval_metrics(
                    sub, osp.join(work_dir, 'eval', r['name'] + '_bkd_init'))))
    tcfg = teacher_config(cfg)
    teacher_ckpt = find_latest_checkpoint(osp.join(work_dir, 'teacher'))
    teacher['coco'] = eval_metrics(tcfg, osp.join(work_dir, 'eval', 'teacher'),
                                   teacher_ckpt)
    # the teacher trained as long as the finetuned detectors were
    more = teacher_control(cfg, work_dir, teacher_ckpt)
    epochs = finetune_overrides(cfg)['train_cfg']['max_epochs']
    control = dict(
        teacher,
        name=f'teacher +{epochs} epochs',
        metric=more['coco/bbox_mAP'],
        coco=more)
    return dict(
        target=target,
        metric=finetuned['metric'],
        stages=stages,
        teacher=teacher,
        control=control,
        rows=rows,
        lut_error=entry.get('lut_error'),
        validation=validation,
        space_size=pareto['space_size'],
        front_size=len(entry['front']),
        input_shape=list(donna_settings(cfg)['input_shape']))


def fmt(v, spec='.3f') -> str:
    return 'n/a' if v is None else format(v, spec)


def print_table(res: dict) -> None:
    t = res['teacher']
    t_ms = t['latency_ms']
    shape = 'x'.join(str(s) for s in [1] + res['input_shape'])
    print(f'\n== detection search: {res["space_size"]} backbones, front of '
          f'{res["front_size"]}, whole-detector latency {res["target"]} at '
          f'{shape}; COCO bbox mAP on the validation split')
    print(f'{"model":<31} {"mAP":>6} {"mAP50":>6} {"BKD-init":>9} '
          f'{"LUT ms":>7} {"meas. ms":>9} {"speed-up":>9} {"params":>9}')

    def row(name, r, init, speed):
        c = r['coco']
        print(f'{name:<31} {fmt(c["coco/bbox_mAP"]):>6} '
              f'{fmt(c["coco/bbox_mAP_50"]):>6} {init:>9} '
              f'{fmt(r["lut_ms"], ".2f"):>7} {fmt(r["latency_ms"], ".2f"):>9} '
              f'{speed:>9} {r["params"]:>9}')

    row('teacher', t, '', '1.00x')
    row(res['control']['name'], res['control'], '', '1.00x')
    for r in res['rows']:
        ms = r['latency_ms']
        row(r['name'], r, fmt(r['bkd_init']['coco/bbox_mAP']),
            f'{t_ms / ms:.2f}x' if ms and t_ms else 'n/a')
    for r in res['rows']:
        arch = ', '.join(f'{p.rsplit(".", 1)[-1]}: {o["type"]}' +
                         ''.join(f' {k}={v}'
                                 for k, v in o.items() if k != 'type')
                         for p, o in r['arch'].items())
        print(f'  {r["name"]}: {arch}')
    e = res.get('lut_error') or {}
    if e.get('mean_abs_rel_error') is not None:
        print(f'LUT vs measured on the front ({e["n"]} detectors): mean abs '
              f'error {100 * e["mean_abs_rel_error"]:.1f} %, Kendall tau '
              f'{fmt(e.get("kendall_tau"), ".2f")}')
    v = res.get('validation')
    if v:
        print(f'LUT vs measured on {v["measured"]} random detectors '
              f'({v["passes"]} alternating passes): mean abs error '
              f'{v["mean_abs_pct_error"]:.1f} %, max '
              f'{v["max_abs_pct_error"]:.1f} % (fixed part alone, '
              f'uncalibrated: mean {v["uncalibrated_mean_abs_pct_error"]:.1f}'
              f' %, max {v["uncalibrated_max_abs_pct_error"]:.1f} %); fixed '
              f'part = {v["fixed_pct_of_teacher"]:.0f} % of the teacher')
    best = max(res['rows'], key=lambda r: r['coco']['coco/bbox_mAP'])
    mean_ap = best['coco']['coco/bbox_mAP']
    gap = mean_ap - t['coco']['coco/bbox_mAP']
    gap_control = mean_ap - res['control']['coco']['coco/bbox_mAP']
    print(f'ratio: searched detector {t_ms / best["latency_ms"]:.2f}x faster '
          f'than the teacher (whole detector, measured) at {gap:+.3f} bbox '
          f'mAP ({gap_control:+.3f} vs {res["control"]["name"]})')


def main(argv=None):
    args = parse_args(argv)
    if args.quick:
        args.teacher_epochs = args.teacher_epochs or 6
        args.bkd_epochs = args.bkd_epochs or 2
        args.finetune_epochs = args.finetune_epochs or 3
    args.work_dir = osp.abspath(args.work_dir)
    args.config = osp.abspath(args.config)
    # the configs' data roots (data/generated/...) are relative to the repo
    os.chdir(ROOT)
    os.makedirs(args.work_dir, exist_ok=True)
    import mmdonna  # noqa: F401  (compat fixes)
    from mmdonna.utils import atomic_write_json
    res = run(args)
    atomic_write_json(
        osp.join(args.work_dir, 'detection_benchmark.json'),
        dict(format='mmdonna.detection_benchmark.v1', config_hash=None, **res))
    print_table(res)
    return res


if __name__ == '__main__':
    main()
