"""The teacher stage (train the user's config when there are no weights)
and the teacher check before BKD."""
import os.path as osp
import time
from typing import Optional

from mmengine.config import Config
from mmengine.dist import barrier, is_main_process
from mmengine.runner.checkpoint import find_latest_checkpoint

from mmdonna import formats
from mmdonna.utils import (atomic_write_json, config_hash, file_digest,
                           latest_checkpoint)
from mmdonna.utils.config import validation_config
from .errors import StageError
from .markers import marker_checkpoint, read_marker, stage_hash
from .quiet_runner import build_runner
from .run_once import run_once
from .stage_context import StageContext

#: What a trained teacher depends on.
TEACHER_KEYS = ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper',
                'param_scheduler', 'randomness')


def teacher(ctx: StageContext) -> str:
    """``donna.teacher_checkpoint`` when given (:func:`validate_config`
    refused a given path that does not exist), else the user's config
    trained into ``<work_dir>/teacher`` (resumed after a kill, skipped when
    its marker matches the config). Sets ``ctx.teacher_checkpoint``."""
    given = ctx.settings['teacher_checkpoint']
    if given:
        ckpt = latest_checkpoint(given)
        if ckpt:
            ctx.teacher_checkpoint = ckpt
            ctx.row('teacher', 'given', ckpt)
            return ckpt
    tcfg = ctx.teacher_cfg
    tdir = ctx.path('teacher')
    marker = osp.join(tdir, 'teacher_done.json')
    digest = stage_hash(tcfg, TEACHER_KEYS)
    done = read_marker(marker, digest, 'teacher training')
    ckpt = done and marker_checkpoint(done, tdir)
    if ckpt and done.get('checkpoint_digest') not in (None, file_digest(ckpt)):
        raise StageError(
            f'teacher checkpoint {ckpt} is not the one teacher training '
            f'wrote ({marker} records other weights); delete {tdir} to '
            f'train it again, or give your weights as '
            f'donna.teacher_checkpoint')
    if ckpt:
        ctx.teacher_checkpoint = ckpt
        ctx.row('teacher', 'skipped', ckpt)
        return ckpt
    ctx.may_run(
        'teacher', f'the teacher checkpoint (donna.'
        f'teacher_checkpoint={given!r}, or {marker})')
    t0 = time.time()
    tcfg.resume = True  # continue an interrupted run from its latest ckpt
    tcfg.load_from = None
    build_runner(tcfg, tdir, 'teacher', ctx.launcher, ctx.verbose).train()
    ckpt = find_latest_checkpoint(tdir)
    if ckpt is None:
        raise StageError(f'teacher training in {tdir} saved no checkpoint; '
                         f'enable the checkpoint hook (default_hooks.'
                         f'checkpoint)')
    if is_main_process():
        atomic_write_json(
            marker,
            dict(
                format=formats.STAGE_DONE,
                config_hash=digest,
                checkpoint=osp.relpath(ckpt, tdir),
                checkpoint_digest=file_digest(ckpt)))
    barrier()
    ctx.teacher_checkpoint = ckpt
    ctx.row('teacher', 'done', ckpt, t0)
    return ckpt


def chance_level(cfg: Config, metric: str) -> Optional[float]:
    """The ``metric`` of guessing: 100 / classes for a classifier's top-k
    accuracy (k classes of them), None when the task has no such level.

    Args:
        cfg (Config): The user's config (``model.head.num_classes``).
        metric (str): Validation metric.
    """
    if not metric.startswith('accuracy/top'):
        return None
    classes = (cfg.model.get('head') or {}).get('num_classes')
    if not classes:
        return None
    k = int(metric[len('accuracy/top'):] or 1)
    return 100.0 * min(k, classes) / classes


def evaluate_teacher(ctx: StageContext) -> Optional[float]:
    """The teacher's metric on its own validation split (kept in
    ``<work_dir>/finetune/teacher_eval/eval_done.json``)."""
    tcfg = validation_config(ctx.teacher_cfg,
                             ctx.path('finetune',
                                      'teacher_eval'), ctx.teacher_checkpoint,
                             'teacher_eval', ctx.launcher)
    # the teacher's weights by content, not by path: a moved work dir keeps
    # the evaluation, other weights at the same path are evaluated again
    d = tcfg.to_dict()
    for k in ('work_dir', 'load_from', 'launcher'):
        d.pop(k, None)
    digest = config_hash(
        dict(cfg=d, teacher=file_digest(ctx.teacher_checkpoint)))
    return run_once(
        tcfg,
        osp.join(tcfg.work_dir, 'eval_done.json'),
        ctx.metric,
        False,
        verbose=ctx.verbose,
        digest=digest)


def teacher_check(ctx: StageContext) -> None:
    """Evaluate the teacher once on its validation split before BKD and
    refuse one that is no better than chance: distilling it copies noise.

    The floor is ``donna.teacher_check.min`` or, for classifiers, 1.5 x
    chance. The evaluation is kept (the finetune table reports it).

    Raises:
        StageError: the teacher is below the floor.
    """
    check = ctx.settings['teacher_check']
    if not check['enabled']:
        ctx.row('teacher check', 'skipped', 'teacher_check.enabled=False')
        return
    t0 = time.time()
    metric = ctx.metric
    floor = check['min']
    chance = chance_level(ctx.teacher_cfg, metric)
    if floor is None and chance is not None:
        floor = 1.5 * chance
    value = evaluate_teacher(ctx)
    shown = 'no result' if value is None else f'{value:.2f}'
    if floor is not None and (value is None or value < floor):
        why = (f'chance is {chance:.1f}'
               if chance is not None else f'teacher_check.min is {floor}')
        raise StageError(
            f'the teacher ({ctx.teacher_checkpoint}) scores {metric}='
            f'{shown} on its validation split and {why}: distilling it '
            f'would copy noise; train it longer, check its BN statistics '
            f'(momentum, eval mode) or set donna.teacher_check.min')
    ctx.row(
        'teacher check', 'done', f'{metric}={shown}' +
        (f' (floor {floor:.2f})' if floor is not None else ''), t0)
