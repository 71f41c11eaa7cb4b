"""DONNA backbone search inside an MMDetection pipeline, end to end on CPU:
mAP and measured whole-detector latency of searched, finetuned detectors
next to their teacher.

On the built-in shapes data (generated offline as COCO json into
``data/generated/shapes``), this runs ``tools/search.py``'s pipeline for a
detection search config (default: RetinaNet-R18): teacher training, BKD of
the backbone blocks on detection images, block library, latency LUT of the
backbone options + the measured fixed part (neck and head at the real input
resolution), KD filter, NSGA-II on (block-loss sum, whole-detector latency),
whole-detector re-measurement of the front and export. It then validates the
LUT against ``--validate`` random whole detectors, finetunes
``--num-models`` front detectors that are faster than the teacher (searched
``DonnaBackbone`` in the stock neck/head, BKD initialisation, detection loss
+ FPN feature distillation from the teacher), evaluates everything with
mmdet's ``CocoMetric`` on the test split and prints one table::

    python benchmarks/detection_search.py [--quick]

Every stage resumes from ``--work-dir`` (default
``work_dirs/detection_search``): a rerun only does what is missing.
Latencies are ONNX Runtime, one thread, on this CPU (the fastest of the
timed runs, see ``configs/_base_/latency/host_ort.py``), whole detector
(``TensorForward``: backbone, neck and head, no NMS) at 1x3x128x128.
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
from typing import List, Optional

import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.runner.checkpoint import find_latest_checkpoint

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
        help='front detectors (faster than the teacher) to finetune')
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
    cfg.model.teacher_checkpoint = None
    if args.teacher_epochs:
        n = args.teacher_epochs
        opts = {
            'train_cfg.max_epochs': n,
            'train_cfg.val_interval': n,
            'default_hooks.checkpoint.interval': n
        }
        tcfg = Config.fromfile(cfg.teacher_config)
        for i, s in enumerate(tcfg.param_scheduler):
            if s.get('type') == 'CosineAnnealingLR':
                opts[f'param_scheduler.{i}.T_max'] = n
        cfg.teacher_cfg_options = dict(cfg.get('teacher_cfg_options') or {})
        cfg.teacher_cfg_options.update(opts)
    if args.bkd_epochs:
        cfg.bkd_train_cfg.max_epochs = args.bkd_epochs
        cfg.bkd_param_scheduler.T_max = args.bkd_epochs
    if args.finetune_epochs:
        n = args.finetune_epochs
        cfg.finetune.train_cfg.update(max_epochs=n, val_interval=n)
        for s in cfg.finetune.param_scheduler:
            if s.get('type') == 'CosineAnnealingLR':
                s['T_max'] = n
    return cfg


def pick_front(front: List[dict], teacher_ms: Optional[float],
               num: int) -> List[dict]:
    """``num`` measured front entries faster than the teacher, from the best
    surrogate (the slowest of them) towards the fastest (the front is sorted
    by latency)."""
    ok = [
        a for a in front if a.get('latency_measured_ms') is not None and (
            teacher_ms is None or a['latency_measured_ms'] < teacher_ms)
    ]
    if len(ok) <= num:
        return ok[::-1]
    idx = np.unique(np.round(np.linspace(0, len(ok) - 1, num)).astype(int))
    return [ok[i] for i in idx[::-1]]


def coco_metrics(metrics: dict) -> dict:
    """The COCO bbox figures; mmdet's CocoMetric returns nothing when no
    box passes the score threshold, which is an mAP of 0."""
    return {k: float(metrics.get(k, 0.0)) for k in METRICS}


def teacher_metrics(cfg: Config, teacher_ckpt: str, work_dir: str) -> dict:
    """COCO bbox mAP of the trained teacher on the test split."""
    tcfg = Config.fromfile(cfg.teacher_config)
    tcfg.work_dir = osp.join(work_dir, 'teacher_eval')
    tcfg.load_from = teacher_ckpt
    tcfg.experiment_name = 'teacher_eval'
    return coco_metrics(Runner.from_cfg(tcfg).test())


def finetune(py: str, name: str, code: list) -> dict:
    """Finetune one exported detector (resumable: a finished one is read
    back); test-split mAP at the BKD initialisation and after finetuning."""
    from mmdonna.utils import (atomic_write_json, config_hash,
                               load_json_artifact)
    from mmdonna.utils.io import ArtifactError
    cfg = Config.fromfile(py)
    cfg.experiment_name = f'finetune_{name}'
    digest = config_hash(
        dict(
            code=code,
            train_cfg=cfg.train_cfg.to_dict(),
            optim=cfg.optim_wrapper.to_dict(),
            distill=cfg.model.distill))
    out = osp.join(cfg.work_dir, 'benchmark_result.json')
    try:
        return load_json_artifact(out, RESULT_FORMAT, digest,
                                  'finetune result')
    except ArtifactError:
        pass
    cfg.resume = True  # continue an interrupted finetuning
    runner = Runner.from_cfg(cfg)
    resumed = find_latest_checkpoint(cfg.work_dir) is not None
    bkd = None
    if not resumed:
        runner.model.init_weights()  # the BKD-assembled detector
        bkd = coco_metrics(runner.test())
    runner.train()
    tuned = coco_metrics(runner.test())
    result = dict(
        format=RESULT_FORMAT,
        config_hash=digest,
        bkd_init=bkd,
        finetuned=tuned,
        epochs=int(cfg.train_cfg.max_epochs))
    atomic_write_json(out, result)
    return result


def validate_lut(cfg: Config, work_dir: str, k: int) -> Optional[dict]:
    """The LUT (backbone blocks + fixed part) against ``k`` random whole
    detectors measured with the same estimator (resumable)."""
    if k <= 0:
        return None
    from mmdonna.latency.latency_config import (build_targets,
                                                latency_settings, lut_path)
    from mmdonna.latency.latency_lut import LatencyLUT
    from mmdonna.latency.pipeline import teacher_and_space
    settings = latency_settings(cfg.get('latency'))
    estimator = build_targets(settings)[0]
    teacher, space, _ = teacher_and_space(cfg)
    path = lut_path(settings, work_dir, estimator.target_id)
    lut = LatencyLUT.load(path, space, estimator.target_id)
    report = lut.validate(
        teacher,
        space,
        estimator,
        k=k,
        seed=settings['seed'] + 1,
        out_file=osp.splitext(path)[0] + '_validation.json',
        progress=False)
    report['fixed_pct_of_teacher'] = 100.0 * lut.fixed_ms / lut.teacher_ms
    return report


def run(args) -> dict:
    from mmdonna.search.pipeline import run_pipeline
    work_dir = args.work_dir
    cfg = search_config(args)
    # teacher, BKD, library, LUT, filter, NSGA-II, hardware in the loop and
    # the export of every front detector to subnets/<name>.py + .pth
    stages = run_pipeline(copy.deepcopy(cfg), work_dir)
    teacher_ckpt = find_latest_checkpoint(osp.join(work_dir, 'teacher'))
    with open(osp.join(work_dir, 'pareto.json')) as f:
        pareto = json.load(f)
    target, entry = next(iter(pareto['targets'].items()))
    teacher = entry['teacher']
    picks = pick_front(entry['front'], teacher['latency_measured_ms'],
                       args.num_models)
    if not picks:
        raise RuntimeError(
            f'no front detector measured faster than the teacher '
            f'({teacher["latency_measured_ms"]} ms); see '
            f'{work_dir}/report.md')
    validation = validate_lut(cfg, work_dir, args.validate)
    rows = []
    for a in picks:
        py = osp.join(work_dir, 'subnets', a['name'] + '.py')
        rows.append(dict(entry=a, result=finetune(py, a['name'], a['code'])))
    return dict(
        target=target,
        stages=stages,
        teacher=teacher,
        teacher_metrics=teacher_metrics(cfg, teacher_ckpt, work_dir),
        rows=rows,
        lut_error=entry.get('lut_error'),
        validation=validation,
        space_size=pareto['space_size'],
        front_size=len(entry['front']),
        input_shape=list(cfg.model.input_shape))


def fmt(v, spec='.3f') -> str:
    return 'n/a' if v is None else format(v, spec)


def print_table(res: dict) -> None:
    t = res['teacher']
    t_ms = t['latency_measured_ms']
    shape = 'x'.join(str(s) for s in [1] + res['input_shape'])
    print(f'\n== detection search: {res["space_size"]} backbones, front of '
          f'{res["front_size"]}, whole-detector latency {res["target"]} at '
          f'{shape}')
    print(f'{"model":<26} {"mAP":>6} {"mAP50":>6} {"BKD-init":>9} '
          f'{"LUT ms":>8} {"meas. ms":>9} {"speed-up":>9} {"params":>9}')
    tm = res['teacher_metrics']
    print(f'{"teacher":<26} {fmt(tm.get("coco/bbox_mAP")):>6} '
          f'{fmt(tm.get("coco/bbox_mAP_50")):>6} {"":>9} '
          f'{fmt(t["latency_lut_ms"], ".2f"):>8} {fmt(t_ms, ".2f"):>9} '
          f'{"1.00x":>9} {t["params"]:>9}')
    for row in res['rows']:
        a, r = row['entry'], row['result']
        ms = a['latency_measured_ms']
        bkd = (r['bkd_init'] or {}).get('coco/bbox_mAP')
        speed = f'{t_ms / ms:.2f}x' if ms and t_ms else 'n/a'
        print(f'{a["name"]:<26} '
              f'{fmt(r["finetuned"].get("coco/bbox_mAP")):>6} '
              f'{fmt(r["finetuned"].get("coco/bbox_mAP_50")):>6} '
              f'{fmt(bkd):>9} {fmt(a["latency_lut_ms"], ".2f"):>8} '
              f'{fmt(ms, ".2f"):>9} {speed:>9} {a["params"]:>9}')
    for row in res['rows']:
        arch = ', '.join(f'{p.rsplit(".", 1)[-1]}: {o["type"]}' +
                         ''.join(f' {k}={v}'
                                 for k, v in o.items() if k != 'type')
                         for p, o in row['entry']['arch'].items())
        print(f'  {row["entry"]["name"]}: {arch}')
    e = res.get('lut_error') or {}
    if e.get('mean_abs_rel_error') is not None:
        print(f'LUT vs measured on the front ({e["n"]} detectors): mean abs '
              f'error {100 * e["mean_abs_rel_error"]:.1f} %, Kendall tau '
              f'{fmt(e.get("kendall_tau"), ".2f")}')
    v = res.get('validation')
    if v:
        print(f'LUT vs measured on {v["measured"]} random detectors: mean abs '
              f'error {v["mean_abs_pct_error"]:.1f} %, max '
              f'{v["max_abs_pct_error"]:.1f} % (fixed part alone, '
              f'uncalibrated: mean {v["uncalibrated_mean_abs_pct_error"]:.1f}'
              f' %); fixed part = {v["fixed_pct_of_teacher"]:.0f} % of the '
              f'teacher')
    best = max(
        res['rows'],
        key=lambda r: r['result']['finetuned'].get('coco/bbox_mAP', -1))
    ms = best['entry']['latency_measured_ms']
    d_map = (
        best['result']['finetuned'].get('coco/bbox_mAP', float('nan')) -
        tm.get('coco/bbox_mAP', float('nan')))
    print(f'ratio: searched detector {t_ms / ms:.2f}x faster than the '
          f'teacher (whole detector, measured) at {d_map:+.3f} bbox mAP')


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
