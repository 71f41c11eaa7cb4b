"""The rerank stage: each target's front re-scored by the one-shot quality
of its assembled BKD subnet (task metric on held-out batches after BN
recalibration, no finetuning; :class:`~mmdonna.surrogate.OneShotQuality`).

The search ranks millions of architectures by a sum of block losses; the
one-shot quality costs about a second per architecture and ranks finetuned
accuracy better (``benchmarks/surrogate_ranking.py``), so it is spent on the
front only. Every scored architecture gets ``one_shot`` in ``pareto.json``
and ``rerank_front`` says whether it is non-dominated in (measured latency,
one-shot quality) among the scored ones; the finetune stage picks its models
from that re-ranked front. Scores are cached per architecture
(``rerank/one_shot_scores.json``): an interrupted rerank continues.
"""
import time
from typing import List, Optional

import numpy as np

from mmdonna.filter.pareto import pareto_mask
from mmdonna.search.search_stages import teacher_code
from mmdonna.surrogate import OneShotData, OneShotQuality
from mmdonna.utils import atomic_write_json, config_hash
from .finetune import arch_latency, pick_front
from .search import _file, library
from .stage_context import StageContext
from .validate import check_rerank

SCORES_FILE = 'rerank/one_shot_scores.json'


def non_dominated(latency: List[float], quality: List[float]) -> List[bool]:
    """Whether each point is non-dominated when lower latency and higher
    quality are better (ties keep both)."""
    F = np.stack([np.asarray(latency, float), -np.asarray(quality, float)], 1)
    return pareto_mask(F).tolist()


def rerank_settings(ctx: StageContext) -> dict:
    r = ctx.settings['rerank']
    return dict(
        metric=r['metric'] or ctx.metric,
        higher_is_better=bool(r['higher_is_better']),
        bn_batches=(ctx.settings['bkd']['bn_calib_batches']
                    if r['bn_batches'] is None else r['bn_batches']),
        val_batches=r['val_batches'],
        max_archs=r['max_archs'])


def rerank(ctx: StageContext) -> Optional[dict]:
    """Score each target's front (at most ``donna.rerank.max_archs`` spread
    over it, and the teacher) by its one-shot quality and mark the re-ranked
    front in ``pareto.json``. Sets ``ctx.pareto``.

    Returns:
        dict, optional: The ``rerank`` record of ``pareto.json``, or None
        when ``donna.rerank.enabled`` is False.
    """
    r = ctx.settings['rerank']
    if not r['enabled']:
        ctx.row('rerank', 'skipped', 'donna.rerank.enabled=False')
        return None
    check_rerank(r)
    settings = rerank_settings(ctx)
    digest = config_hash(dict(settings, pareto=ctx.pareto['config_hash']))
    path = _file(ctx, 'pareto')
    done = ctx.pareto.get('rerank')
    if done is not None and done.get('config_hash') == digest:
        ctx.row('rerank', 'skipped', _summary(ctx.pareto, path))
        return done
    ctx.may_run('rerank', path)
    t0 = time.time()
    model = ctx.build_supernet()
    scorer = OneShotQuality(
        metric=settings['metric'],
        higher_is_better=settings['higher_is_better'],
        bn_batches=settings['bn_batches'],
        val_batches=settings['val_batches'],
        scores_file=SCORES_FILE)
    scorer.bind(model, OneShotData(ctx.teacher_cfg))
    scorer.setup(library(ctx), ctx.work_dir)
    sign = 1.0 if settings['higher_is_better'] else -1.0
    teacher = teacher_code(model.space)
    n = 0
    for entry in ctx.pareto['targets'].values():
        front = entry['front']
        scored = pick_front(front, settings['max_archs'] or len(front))
        for a in front:
            a.pop('one_shot', None)
            a['rerank_front'] = False
        for a in scored:
            a['one_shot'] = scorer.score(a['code'])
            n += 1
        keep = non_dominated([arch_latency(a) for a in scored],
                             [sign * a['one_shot'] for a in scored])
        for a, k in zip(scored, keep):
            a['rerank_front'] = bool(k)
        if teacher is not None:
            entry['teacher']['one_shot'] = scorer.score(teacher)
    ctx.pareto['rerank'] = dict(
        config_hash=digest, scored=n, seconds=time.time() - t0, **settings)
    atomic_write_json(path, ctx.pareto)
    ctx.row('rerank', 'done', _summary(ctx.pareto, path), t0)
    return ctx.pareto['rerank']


def _summary(pareto: dict, path: str) -> str:
    parts = []
    for t, entry in pareto['targets'].items():
        kept = sum(bool(a.get('rerank_front')) for a in entry['front'])
        scored = sum('one_shot' in a for a in entry['front'])
        parts.append(f'{t}: {kept} of {scored} scored kept')
    metric = pareto['rerank']['metric']
    return f'one-shot {metric}: ' + ', '.join(parts) + f' -> {path}'
