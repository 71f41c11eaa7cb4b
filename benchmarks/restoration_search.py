"""DONNA on image restoration, both tasks in one run: PSNR / SSIM and measured
latency of the searched models next to their mmagic teacher.

For x2 super-resolution (EDSR teacher) and sigma-25 denoising (NAFNet
teacher) on the built-in scikit-image patches, this runs
``tools/search.py``'s pipeline (teacher, BKD, block library, latency LUT at a
``--input-size`` square input, KD filter, NSGA-II, whole-model
re-measurement), exports ``--num-models`` front architectures that are faster
than the teacher, finetunes each from its BKD weights with distillation from
the teacher (the stock mmagic editor, upsampler, losses and metrics), and
prints one table per task::

    python benchmarks/restoration_search.py [--quick]

Every stage resumes from ``--work-dir`` (default
``work_dirs/restoration_search``): a rerun only does what is missing.
Latencies are ONNX Runtime, one thread, on this CPU (the fastest of the timed
runs; see ``configs/_base_/latency/host_ort.py``).
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

RESULT_FORMAT = 'mmdonna.restoration_benchmark_result.v1'
TASKS = dict(
    sr=dict(
        config='configs/restoration/edsr_skimage-x2_search.py',
        what='x2 super-resolution, EDSR teacher',
        baseline='bicubic'),
    denoising=dict(
        config='configs/restoration/nafnet_skimage-sigma25_search.py',
        what='Gaussian denoising (sigma 25), NAFNet teacher',
        baseline='noisy input'))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--work-dir',
        default=osp.join(ROOT, 'work_dirs', 'restoration_search'))
    parser.add_argument(
        '--tasks', nargs='+', default=sorted(TASKS), choices=sorted(TASKS))
    parser.add_argument(
        '--input-size',
        type=int,
        default=256,
        help='side of the square input the latency is measured at')
    parser.add_argument('--teacher-iters', type=int, default=None)
    parser.add_argument('--bkd-iters', type=int, default=None)
    parser.add_argument('--finetune-iters', type=int, default=None)
    parser.add_argument(
        '--num-models',
        type=int,
        default=2,
        help='front architectures (faster than the teacher) to finetune')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='short schedules (teacher 600, BKD 400, finetune 300 iters) '
        'and a 128x128 latency input')
    return parser.parse_args()


def task_config(task: str, work_dir: str, args) -> Config:
    """The task's search config with the benchmark's overrides."""
    cfg = Config.fromfile(osp.join(ROOT, TASKS[task]['config']))
    cfg.work_dir = work_dir
    # trained by the pipeline into <work_dir>/teacher (and reused on rerun)
    cfg.model.teacher_checkpoint = None
    cfg.model.input_shape = (3, args.input_size, args.input_size)
    if args.teacher_iters:
        n = args.teacher_iters
        cfg.teacher_cfg_options = {
            'train_cfg.max_iters': n,
            'train_cfg.val_interval': n,
            'param_scheduler.T_max': n,
            'default_hooks.checkpoint.interval': n
        }
    if args.bkd_iters:
        cfg.bkd_train_cfg.max_iters = args.bkd_iters
        cfg.bkd_param_scheduler.T_max = args.bkd_iters
        cfg.default_hooks.checkpoint.interval = args.bkd_iters
    if args.finetune_iters:
        n = args.finetune_iters
        cfg.finetune.train_cfg.update(max_iters=n, val_interval=n)
        cfg.finetune.param_scheduler.T_max = n
        cfg.finetune.default_hooks.checkpoint.interval = n
    return cfg


def pick_front(front: List[dict], teacher_ms: Optional[float],
               num: int) -> List[dict]:
    """``num`` measured front entries faster than the teacher, spread from
    the fastest to the best surrogate (the front is sorted by latency)."""
    ok = [
        a for a in front if a.get('latency_measured_ms') is not None and (
            teacher_ms is None or a['latency_measured_ms'] < teacher_ms)
    ]
    if len(ok) <= num:
        return ok
    idx = np.unique(np.round(np.linspace(0, len(ok) - 1, num)).astype(int))
    return [ok[i] for i in idx]


def evaluate(runner: Runner) -> dict:
    """PSNR / SSIM of one validation run (mmagic's ``MultiValLoop`` returns
    nothing; MMEngine's RuntimeInfoHook records them in the message hub)."""
    runner.val()
    return {
        k: float(runner.message_hub.get_scalar(f'val/{k}').current())
        for k in ('PSNR', 'SSIM')
    }


def teacher_metrics(cfg: Config, teacher_ckpt: str, work_dir: str) -> dict:
    """PSNR / SSIM of the trained teacher on the held-out patches."""
    tcfg = Config.fromfile(cfg.teacher_config)
    tcfg.work_dir = osp.join(work_dir, 'teacher_eval')
    tcfg.load_from = teacher_ckpt
    tcfg.experiment_name = 'teacher_eval'
    return evaluate(Runner.from_cfg(tcfg))


def baseline_metrics(cfg: Config) -> dict:
    """PSNR of the input itself (noisy image, or bicubic upsampling for SR)
    against the ground truth, with the same metric settings."""
    import cv2
    from mmagic.evaluation.metrics.psnr import psnr
    from mmengine.registry import init_default_scope

    from mmdonna.registry import DATASETS
    init_default_scope('mmagic')
    tcfg = Config.fromfile(cfg.teacher_config)
    dcfg = copy.deepcopy(tcfg.val_dataloader.dataset)
    dcfg.pipeline = []
    dataset = DATASETS.build(dcfg)
    crop = 0
    for m in tcfg.val_evaluator.get('metrics', []):
        if m['type'] == 'PSNR':
            crop = m.get('crop_border', 0)
    values = []
    for i in range(len(dataset)):
        item = dataset[i]
        gt, img = item['gt'].astype(np.float64), item['img']
        if img.shape != gt.shape:
            img = cv2.resize(
                img, gt.shape[1::-1], interpolation=cv2.INTER_CUBIC)
        img = np.clip(np.round(img.astype(np.float64)), 0, 255)
        values.append(psnr(gt, img, crop_border=crop, input_order='HWC'))
    return dict(PSNR=float(np.mean(values)))


def finetune(py: str, name: str, code: list) -> dict:
    """Finetune one exported subnet (resumable: a finished one is read
    back); PSNR / SSIM at the BKD initialisation and after finetuning."""
    from mmdonna.utils import (atomic_write_json, config_hash,
                               load_json_artifact)
    from mmdonna.utils.io import ArtifactError
    cfg = Config.fromfile(py)
    cfg.experiment_name = f'finetune_{name}'
    digest = config_hash(
        dict(
            code=code,
            train_cfg=cfg.train_cfg.to_dict(),
            optim=cfg.optim_wrapper.to_dict()))
    out = osp.join(cfg.work_dir, 'benchmark_result.json')
    try:
        return load_json_artifact(out, RESULT_FORMAT, digest,
                                  'finetune result')
    except ArtifactError:
        pass
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()  # the BKD-assembled student
    bkd = evaluate(runner)
    runner.train()
    tuned = evaluate(runner)
    result = dict(
        format=RESULT_FORMAT,
        config_hash=digest,
        bkd_init=bkd,
        finetuned=tuned,
        iters=int(cfg.train_cfg.max_iters))
    atomic_write_json(out, result)
    return result


def run_task(task: str, args) -> dict:
    from mmdonna.search.pipeline import run_pipeline
    work_dir = osp.join(args.work_dir, task)
    cfg = task_config(task, work_dir, args)
    # teacher, BKD, library, LUT, filter, NSGA-II, hardware in the loop and
    # the export of every front architecture to subnets/<name>.py + .pth
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
            f'{task}: no front architecture measured faster than the '
            f'teacher ({teacher["latency_measured_ms"]} ms); see '
            f'{work_dir}/report.md')
    rows = []
    for a in picks:
        py = osp.join(work_dir, 'subnets', a['name'] + '.py')
        rows.append(dict(entry=a, result=finetune(py, a['name'], a['code'])))
    return dict(
        task=task,
        target=target,
        stages=stages,
        teacher=teacher,
        teacher_metrics=teacher_metrics(cfg, teacher_ckpt, work_dir),
        baseline=baseline_metrics(cfg),
        rows=rows,
        space_size=pareto['space_size'],
        front_size=len(entry['front']))


def fmt(v, spec='.2f') -> str:
    return 'n/a' if v is None else format(v, spec)


def print_table(res: dict, input_size: int) -> None:
    info = TASKS[res['task']]
    t = res['teacher']
    t_ms = t['latency_measured_ms']
    print(f'\n== {info["what"]}: {res["space_size"]} architectures, front of '
          f'{res["front_size"]}, latency {res["target"]} at 1x3x'
          f'{input_size}x{input_size}')
    print(f'{"model":<28} {"PSNR":>7} {"SSIM":>7} {"BKD-init":>9} '
          f'{"latency ms":>11} {"speed-up":>9} {"params":>9}')
    tm = res['teacher_metrics']
    print(f'{"teacher":<28} {fmt(tm.get("PSNR")):>7} '
          f'{fmt(tm.get("SSIM"), ".4f"):>7} {"":>9} {fmt(t_ms):>11} '
          f'{"1.00x":>9} {t["params"]:>9}')
    for row in res['rows']:
        a, r = row['entry'], row['result']
        ms = a['latency_measured_ms']
        speed = f'{t_ms / ms:.2f}x' if ms and t_ms else 'n/a'
        print(f'{a["name"]:<28} {fmt(r["finetuned"].get("PSNR")):>7} '
              f'{fmt(r["finetuned"].get("SSIM"), ".4f"):>7} '
              f'{fmt(r["bkd_init"].get("PSNR")):>9} {fmt(ms):>11} '
              f'{speed:>9} {a["params"]:>9}')
    b = res['baseline']
    print(f'{info["baseline"]:<28} {fmt(b["PSNR"]):>7}')
    for row in res['rows']:
        arch = ', '.join(f'{p.rsplit(".", 1)[-1]}: {o["type"]}' +
                         ''.join(f' {k}={v}'
                                 for k, v in o.items() if k != 'type')
                         for p, o in row['entry']['arch'].items())
        print(f'  {row["entry"]["name"]}: {arch}')
    best = max(res['rows'], key=lambda r: r['result']['finetuned']['PSNR'])
    ms = best['entry']['latency_measured_ms']
    print(f'ratio: best found model {t_ms / ms:.2f}x faster than the teacher '
          f'at {best["result"]["finetuned"]["PSNR"] - tm["PSNR"]:+.2f} dB '
          f'PSNR')


def main():
    args = parse_args()
    if args.quick:
        args.teacher_iters = args.teacher_iters or 600
        args.bkd_iters = args.bkd_iters or 400
        args.finetune_iters = args.finetune_iters or 300
        args.input_size = 128 if args.input_size == 256 else args.input_size
    os.makedirs(args.work_dir, exist_ok=True)
    import mmdonna  # noqa: F401  (compat fixes)
    results = [run_task(task, args) for task in args.tasks]
    for res in results:
        print_table(res, args.input_size)


if __name__ == '__main__':
    main()
