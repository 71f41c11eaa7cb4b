"""The finetune stage: chosen front architectures finetuned with KD from the
teacher (stock Runner) and compared with the teacher."""
import logging
import os.path as osp
import time
from typing import List, Optional, Tuple, Union

import numpy as np
from mmengine.config import Config
from mmengine.dist import barrier, is_main_process
from mmengine.logging import print_log

from mmdonna.utils import atomic_write_json, file_digest
from .errors import DonnaConfigError
from .finetune_run import claim_run_dir, finetune_hash, run_finished
from .run_once import run_once
from .stage_context import StageContext
from .teacher import evaluate_teacher

PICKS = ('fastest', 'middle', 'best')


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


def arch_latency(arch: dict) -> float:
    """Its measured latency, or its LUT latency when unmeasured."""
    v = arch.get('latency_measured_ms')
    return arch['latency_lut_ms'] if v is None else v


def choose_models(front: List[dict],
                  models: Union[str, int, list, dict, None],
                  rerank: Optional[dict] = None) -> List[dict]:
    """The front architectures ``donna.finetune.models`` names.

    When the front was re-ranked (``rerank``: the record of the rerank
    stage, whose entries carry ``one_shot`` and ``rerank_front``), the picks
    come from the re-ranked front and "best" is the best one-shot quality.

    Args:
        front (list[dict]): One target's front, fastest first.
        models: ``'fastest'``, ``'middle'``, ``'best'`` (lowest surrogate),
            a list of them, a number spread over the front (see
            :func:`pick_front`), ``dict(latency_ms=x)`` (the best whose
            measured latency, or LUT latency when unmeasured, is at most
            ``x``), or None / 0 / [] for none.
        rerank (dict, optional): ``pareto.json``'s ``rerank`` record.
            Defaults to None.

    Raises:
        DonnaConfigError: anything else.
    """
    if not models or not front:
        return []
    reranked = [a for a in front if a.get('rerank_front')]
    sign = -1.0 if (rerank or {}).get('higher_is_better', True) else 1.0
    if rerank is not None and reranked:
        front = reranked

    def quality(a: dict) -> float:  # lower is better
        if rerank is not None and reranked:
            return sign * a['one_shot']
        return a['surrogate']

    if isinstance(models, bool):
        raise DonnaConfigError(f'donna.finetune.models={models!r}')
    if isinstance(models, int):
        return pick_front(front, models)
    if isinstance(models, dict):
        if set(models) != {'latency_ms'}:
            raise DonnaConfigError(
                f'donna.finetune.models={models!r}: a budget is '
                f'dict(latency_ms=...)')
        budget = float(models['latency_ms'])
        fits = [a for a in front if arch_latency(a) <= budget]
        return [min(fits, key=quality)] if fits else []
    names = [models] if isinstance(models, str) else list(models)
    out = []
    for name in names:
        if name not in PICKS:
            raise DonnaConfigError(
                f'donna.finetune.models={models!r}: use {PICKS}, a list of '
                f'them, a number or dict(latency_ms=...)')
        arch = dict(
            fastest=front[0],
            middle=pick_front(front, 1)[0],
            best=min(front, key=quality))[name]
        if arch not in out:
            out.append(arch)
    return out


def _finetune_one(ctx: StageContext, name: str, overrides: dict, metric: str,
                  bn: int) -> Tuple[Optional[float], bool]:
    """Finetune ``subnets/<name>.py`` in ``finetune/<name>`` of this work
    dir: skipped when finished with the same settings, resumed when
    interrupted with the same settings, started afresh otherwise (a run of
    other settings is moved aside, see :func:`claim_run_dir`).

    Returns:
        tuple: The metric and whether the run had finished before.
    """
    run_dir = ctx.path('finetune', name)
    scfg = Config.fromfile(ctx.path('subnets', name + '.py'))
    scfg.merge_from_dict(dict(overrides))
    scfg.work_dir = run_dir  # this work dir's, wherever it was exported
    scfg.launcher = ctx.launcher
    scfg.resume = True  # an interrupted run of the same settings continues
    pth = ctx.path('subnets', name + '.pth')
    digest = finetune_hash(scfg, ctx.work_dir, bn,
                           file_digest(pth) if osp.isfile(pth) else None)
    marker = osp.join(run_dir, 'finetune_done.json')
    done = run_finished(marker, digest)
    if not done:
        ctx.may_run('finetune', marker)
    if is_main_process():
        moved = claim_run_dir(run_dir, digest)
        if moved:
            print_log(
                f'{run_dir} held a finetune of other settings: moved to '
                f'{moved}; finetuning {name} afresh', ctx.logger,
                logging.WARNING)
    barrier()
    return run_once(scfg, marker, metric, True, bn, ctx.verbose, digest), done


def finetune(ctx: StageContext) -> str:
    """Finetune ``donna.finetune.models`` of every target's front (each
    resumable, skipped when its marker matches) and evaluate the teacher
    with the same metric; ``finetune_results.json`` and the table
    (``ctx.finetune_table``) of the models next to the teacher.

    Returns:
        str: The markdown table ('' when nothing is finetuned).
    """
    models = ctx.settings['finetune']['models']
    picks = {
        t: choose_models(entry['front'], models, ctx.pareto.get('rerank'))
        for t, entry in ctx.pareto['targets'].items()
    }
    if not any(picks.values()):
        ctx.row('finetune', 'skipped', f'donna.finetune.models={models!r}')
        return ''
    t0 = time.time()
    metric = ctx.metric
    teacher_metric = evaluate_teacher(ctx)
    overrides = ctx.settings['finetune']['cfg_options'] or {}
    bn = ctx.settings['bkd']['bn_calib_batches']
    rows, trained = [], 0
    for target, entry in ctx.pareto['targets'].items():
        t = entry['teacher']
        rows.append(
            dict(
                target=target,
                name='teacher',
                metric=teacher_metric,
                latency_ms=t.get('latency_measured_ms'),
                lut_ms=t.get('latency_lut_ms'),
                params=t.get('params')))
        for arch in picks[target]:
            value, done = _finetune_one(ctx, arch['name'], overrides, metric,
                                        bn)
            trained += not done
            rows.append(
                dict(
                    target=target,
                    name=arch['name'],
                    metric=value,
                    latency_ms=arch.get('latency_measured_ms'),
                    lut_ms=arch.get('latency_lut_ms'),
                    params=arch.get('params')))
    statistic = next(iter(ctx.pareto['targets'].values()))['metric']
    if is_main_process():
        atomic_write_json(
            ctx.path('finetune_results.json'),
            dict(metric=metric, latency_statistic=statistic, rows=rows))
    ctx.finetune_table = format_table(rows, metric, statistic)
    n = len(rows) - len(ctx.pareto['targets'])
    ctx.row('finetune', 'done' if trained else 'skipped',
            f'{n} models -> {ctx.path("finetune_results.json")}', t0)
    return ctx.finetune_table


def _fmt(v, spec):
    return '-' if v is None else format(v, spec)


def format_table(rows: List[dict],
                 metric: str,
                 statistic: Optional[str] = None) -> str:
    """Markdown table of the finetuned models next to the teacher; the
    measured latency is the statistic of the LUT and hardware in the loop
    (e.g. ``min_ms``)."""
    stat = f', {statistic[:-3]}' if statistic else ''
    lines = [
        f'| target | model | {metric} | measured latency (ms{stat}) | '
        f'LUT latency (ms) | params |', '|---|---|---|---|---|---|'
    ]
    for r in rows:
        lines.append(f'| {r["target"]} | {r["name"]} | '
                     f'{_fmt(r["metric"], ".2f")} | '
                     f'{_fmt(r["latency_ms"], ".3f")} | '
                     f'{_fmt(r["lut_ms"], ".3f")} | '
                     f'{_fmt(r["params"], ",")} |')
    return '\n'.join(lines)
