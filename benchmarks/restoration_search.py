"""DONNA on image restoration, both tasks in one run: PSNR and measured
latency of the searched models next to their mmagic teacher.

For x2 super-resolution (EDSR teacher) and sigma-25 denoising (NAFNet
teacher) on the built-in scikit-image patches, this runs
``tools/search.py``'s pipeline (teacher, BKD, block library, latency LUT at a
``--input-size`` square input, KD filter, NSGA-II, whole-model
re-measurement, export of the front, KD finetuning of ``--num-models`` front
architectures from their BKD weights in the stock mmagic editor with its
upsampler, losses and metrics) and prints one table per task, with the PSNR
of the input itself (bicubic upsampling / the noisy image) for scale::

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

import numpy as np
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
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
        default=3,
        help='front architectures to finetune (spread over the front)')
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
    cfg.donna.teacher_checkpoint = None
    cfg.donna.input_shape = (3, args.input_size, args.input_size)
    if args.teacher_iters:
        n = args.teacher_iters
        cfg.train_cfg.update(max_iters=n, val_interval=n)
        cfg.param_scheduler.T_max = n
        cfg.default_hooks.checkpoint.interval = n
    if args.bkd_iters:
        cfg.donna.bkd.iters = args.bkd_iters
    # front architectures spread over the front
    cfg.donna.finetune.models = args.num_models
    if args.finetune_iters:
        cfg.donna.finetune.iters = args.finetune_iters
    return cfg


def baseline_metrics(cfg: Config) -> dict:
    """PSNR of the input itself (noisy image, or bicubic upsampling for SR)
    against the ground truth, with the same metric settings."""
    import cv2
    from mmagic.evaluation.metrics.psnr import psnr
    from mmengine.registry import init_default_scope

    from mmdonna.registry import DATASETS
    init_default_scope('mmagic')
    from mmdonna.stages import teacher_config
    tcfg = teacher_config(cfg)
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


def run_task(task: str, args) -> dict:
    from mmdonna.stages import run_stages
    work_dir = osp.join(args.work_dir, task)
    cfg = task_config(task, work_dir, args)
    # teacher, BKD, library, LUT, filter, NSGA-II, hardware in the loop,
    # export of the front and KD finetuning of `donna.finetune.models` of
    # its architectures next to the teacher (finetune_results.json)
    stages = run_stages(cfg, work_dir).rows
    with open(osp.join(work_dir, 'pareto.json')) as f:
        pareto = json.load(f)
    with open(osp.join(work_dir, 'finetune_results.json')) as f:
        finetuned = json.load(f)
    target, entry = next(iter(pareto['targets'].items()))
    archs = {a['name']: a for a in entry['front']}
    rows = [r for r in finetuned['rows'] if r['target'] == target]
    return dict(
        task=task,
        target=target,
        stages=stages,
        rows=rows,
        archs=archs,
        baseline=baseline_metrics(cfg),
        space_size=pareto['space_size'],
        front_size=len(entry['front']))


def fmt(v, spec='.2f') -> str:
    return 'n/a' if v is None else format(v, spec)


def print_table(res: dict, input_size: int) -> None:
    info = TASKS[res['task']]
    rows = res['rows']
    teacher = next(r for r in rows if r['name'] == 'teacher')
    t_ms = teacher['latency_ms']
    print(f'\n== {info["what"]}: {res["space_size"]} architectures, front of '
          f'{res["front_size"]}, latency {res["target"]} at 1x3x'
          f'{input_size}x{input_size} (whole model, measured)')
    print(f'{"model":<26} {"PSNR dB":>8} {"latency ms":>11} '
          f'{"speed-up":>9} {"params":>9}  architecture')
    for r in rows:
        ms = r['latency_ms']
        speed = f'{t_ms / ms:.2f}x' if ms and t_ms else 'n/a'
        arch = res['archs'].get(r['name'], {}).get('arch', {})
        desc = '; '.join(o['type'] +
                         ''.join(f' {k}={v}'
                                 for k, v in o.items() if k != 'type')
                         for o in arch.values())
        print(f'{r["name"]:<26} {fmt(r["metric"]):>8} {fmt(ms):>11} '
              f'{speed:>9} {r["params"]:>9}  {desc or "(stock)"}')
    print(f'{info["baseline"]:<26} {fmt(res["baseline"]["PSNR"]):>8}')
    found = [r for r in rows if r['name'] != 'teacher' and r['latency_ms']]
    if found and t_ms:
        best = max(found, key=lambda r: r['metric'])
        fast = min(found, key=lambda r: r['latency_ms'])
        for what, r in (('best', best), ('fastest', fast)):
            print(f'ratio ({what} found model): {t_ms / r["latency_ms"]:.2f}x '
                  f'the teacher\'s speed at '
                  f'{r["metric"] - teacher["metric"]:+.2f} dB PSNR')


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
