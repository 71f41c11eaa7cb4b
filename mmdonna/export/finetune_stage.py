"""Finetune chosen front architectures (KD from the teacher, stock Runner)
and compare them with the teacher: accuracy, measured latency, params."""
import copy
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmdonna.utils import atomic_write_json, config_hash
from mmdonna.utils.bn_calibration import recalibrate_model_bn
from mmdonna.utils.config import load_config, validation_config
from mmdonna.utils.io import ArtifactError, load_json_artifact
from .subnet_export import calib_batches

DONE_FORMAT = 'mmdonna.finetune_done.v1'
FINETUNE_FRONT_KEYS = ('num', 'metric', 'cfg_options')


def pick_front(front: List[dict], num: int) -> List[dict]:
    """``num`` architectures spread evenly over a front sorted by latency
    (fastest first); one gives the middle of the front."""
    if num <= 0 or not front:
        return []
    if num >= len(front):
        return list(front)
    idx = np.linspace(0, len(front) - 1, num + 2)[1:-1] if num == 1 else \
        np.linspace(0, len(front) - 1, num)
    return [front[int(round(i))] for i in idx]


def recalibrated_val(runner: Runner, num_batches: int) -> Optional[dict]:
    """Re-estimate the trained model's BN statistics on ``num_batches``
    training batches (the student of a distillation wrapper; its weights are
    untouched), save them as ``<work_dir>/recalibrated.pth`` and validate.

    A short finetune ends with running statistics that lag behind its last
    weights; what is reported is the model with its own statistics.
    """
    if num_batches:
        model = getattr(runner.model, 'module', runner.model)
        recalibrate_model_bn(model, runner.train_dataloader, num_batches,
                             getattr(model, 'student', model))
        runner.save_checkpoint(
            runner.work_dir,
            'recalibrated.pth',
            save_optimizer=False,
            save_param_scheduler=False)
    return runner.val_loop.run()


def finetuned_checkpoint(work_dir: str) -> Optional[str]:
    """The weights a finetune run reported: ``recalibrated.pth`` (its BN
    statistics re-estimated, see :func:`recalibrated_val`) when present,
    else the run's latest checkpoint."""
    from mmengine.runner import find_latest_checkpoint
    path = osp.join(work_dir, 'recalibrated.pth')
    return path if osp.isfile(path) else find_latest_checkpoint(work_dir)


def _run_once(cfg: Config,
              marker: str,
              metric: str,
              train: bool,
              bn_batches: int = 0) -> float:
    """Train (resuming) and/or validate once; the metric is kept in
    ``marker`` so a rerun skips the work. After training, the BN statistics
    are re-estimated on ``bn_batches`` training batches before validation
    (see :func:`recalibrated_val`)."""
    digest = config_hash(dict(cfg=cfg.to_dict(), bn_batches=bn_batches))
    if osp.exists(marker):
        try:
            return load_json_artifact(marker, DONE_FORMAT, digest,
                                      'finetune marker')['metric']
        except ArtifactError as e:
            print_log(f'{e}; running again', 'current')
    runner = Runner.from_cfg(cfg)
    if train:
        runner.train()
    metrics = runner.val() if not train else recalibrated_val(
        runner, bn_batches)
    if metrics is None:  # mmagic's MultiValLoop returns nothing
        metrics = {
            k[4:]: v.current()
            for k, v in runner.message_hub.log_scalars.items()
            if k.startswith('val/')
        }
    if metric not in metrics:
        raise KeyError(f'finetune_front.metric={metric!r} is not among the '
                       f'validation metrics {sorted(metrics)}')
    value = float(metrics[metric])
    if is_main_process():
        atomic_write_json(
            marker, dict(format=DONE_FORMAT, config_hash=digest, metric=value))
    return value


def evaluate_teacher(cfg: Config,
                     work_dir: str,
                     metric: str,
                     launcher: str = 'none') -> float:
    """The teacher's ``metric`` on its own validation split (kept in
    ``<work_dir>/finetune/teacher_eval/eval_done.json``)."""
    tcfg = validation_config(
        load_config(cfg.teacher_config),
        osp.join(work_dir, 'finetune', 'teacher_eval'),
        cfg.model.teacher_checkpoint, 'teacher_eval', launcher)
    return _run_once(tcfg, osp.join(tcfg.work_dir, 'eval_done.json'), metric,
                     False)


def finetune_stage(cfg: Config,
                   work_dir: str,
                   pareto: dict,
                   launcher: str = 'none') -> Tuple[tuple, str]:
    """Finetune ``finetune_front.num`` architectures per target and
    evaluate the teacher with the same metric.

    Returns:
        tuple: (stage row, markdown table of the models and the teacher).
    """
    fcfg = copy.deepcopy(cfg.get('finetune_front') or {})
    unknown = set(fcfg) - set(FINETUNE_FRONT_KEYS)
    if unknown:
        raise KeyError(f'finetune_front has unknown keys {sorted(unknown)}; '
                       f'allowed: {FINETUNE_FRONT_KEYS}')
    num = int(fcfg.get('num', 1))
    metric = fcfg.get('metric', 'accuracy/top1')
    overrides = fcfg.get('cfg_options') or {}
    if num == 0:
        return ('finetune', 'skipped', 'finetune_front.num=0'), ''
    teacher_metric = evaluate_teacher(cfg, work_dir, metric, launcher)
    rows = []
    for target, entry in pareto['targets'].items():
        t = entry['teacher']
        rows.append(
            dict(
                target=target,
                name='teacher',
                metric=teacher_metric,
                latency_ms=t.get('latency_measured_ms'),
                lut_ms=t.get('latency_lut_ms'),
                params=t.get('params')))
        for arch in pick_front(entry['front'], num):
            py = osp.join(work_dir, 'subnets', arch['name'] + '.py')
            scfg = Config.fromfile(py)
            scfg.merge_from_dict(copy.deepcopy(overrides))
            scfg.launcher = launcher
            scfg.resume = True  # an interrupted finetune continues
            value = _run_once(scfg,
                              osp.join(scfg.work_dir, 'finetune_done.json'),
                              metric, True, calib_batches(cfg))
            rows.append(
                dict(
                    target=target,
                    name=arch['name'],
                    metric=value,
                    latency_ms=arch.get('latency_measured_ms'),
                    lut_ms=arch.get('latency_lut_ms'),
                    params=arch.get('params')))
    if is_main_process():
        atomic_write_json(
            osp.join(work_dir, 'finetune_results.json'),
            dict(metric=metric, rows=rows))
    table = format_table(rows, metric)
    print_log('\n' + table, 'current')
    return ('finetune', 'done',
            f'{len(rows) - len(pareto["targets"])} subnets'), table


def _fmt(v, spec):
    return '-' if v is None else format(v, spec)


def format_table(rows: List[dict], metric: str) -> str:
    """Markdown table of the finetuned models next to the teacher."""
    lines = [
        f'| target | model | {metric} | measured latency (ms) | '
        f'LUT latency (ms) | params |', '|---|---|---|---|---|---|'
    ]
    for r in rows:
        lines.append(f'| {r["target"]} | {r["name"]} | '
                     f'{_fmt(r["metric"], ".2f")} | '
                     f'{_fmt(r["latency_ms"], ".3f")} | '
                     f'{_fmt(r["lut_ms"], ".3f")} | '
                     f'{_fmt(r["params"], ",")} |')
    return '\n'.join(lines)
