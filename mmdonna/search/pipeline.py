"""``tools/search.py CONFIG``: every stage that the work dir still misses.

Stages and their artefacts (each skipped when its artefact is valid):

1. teacher   ``<work_dir>/teacher/`` (only when ``model.teacher_checkpoint``
   does not exist: trained from ``teacher_config``)
2. BKD       ``<work_dir>/bkd/`` checkpoints + ``bkd/bkd_done.json``
3. library   ``<work_dir>/block_library.json`` (BlockLibraryHook at the end
   of BKD; a resumed finished BKD only scores)
4. LUT, filter, search, hardware in the loop, plots: the config's
   ``train_cfg`` (:class:`DonnaSearchLoop`) on a runner loaded with the BKD
   weights.
5. export    ``<work_dir>/subnets/<name>.py`` + ``.pth`` per front
   architecture (:func:`mmdonna.export.export_front`).
"""
import copy
import os
import os.path as osp
import time
from typing import List, Optional, Tuple

from mmengine.config import Config
from mmengine.dist import barrier, is_main_process
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmengine.runner.checkpoint import find_latest_checkpoint

from mmdonna.library.block_library import FORMAT as LIBRARY_FORMAT
from mmdonna.utils import (atomic_write_json, config_hash, file_digest,
                           latest_checkpoint, load_json_artifact)
from mmdonna.utils.io import ArtifactError

DONE_FORMAT = 'mmdonna.stage_done.v1'


class PipelineError(ValueError):
    """A work dir or config the pipeline cannot continue from."""


def _cfg_dict(cfg) -> dict:
    return cfg.to_dict() if isinstance(cfg, Config) else dict(cfg)


def stage_hash(cfg: Config, keys: Tuple[str, ...]) -> str:
    """Hash of the config keys a stage depends on."""
    d = _cfg_dict(cfg)
    return config_hash({k: d.get(k) for k in keys})


def _done(path: str, digest: str, what: str) -> Optional[dict]:
    """The stage marker when valid; None when absent; refuse a marker of
    another config (the folder holds checkpoints of that config)."""
    if not osp.exists(path):
        return None
    try:
        return load_json_artifact(path, DONE_FORMAT, digest, what)
    except ArtifactError as e:
        raise PipelineError(
            f'{e}: its checkpoints belong to that config too; delete '
            f'{osp.dirname(path)} to redo the {what}') from None


def _runner(cfg: Config, work_dir: str, name: str, launcher: str) -> Runner:
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.launcher = launcher
    cfg.experiment_name = name
    return Runner.from_cfg(cfg)


def resolve_path(path: str, cfg: Config) -> str:
    """A path from the config: as given, else relative to the config file."""
    if osp.isabs(path) or osp.exists(path) or not cfg.filename:
        return path
    return osp.join(osp.dirname(cfg.filename), path)


TEACHER_KEYS = ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper',
                'param_scheduler', 'randomness')
BKD_KEYS = ('model', 'train_dataloader', 'bkd_train_cfg', 'optim_wrapper',
            'bkd_param_scheduler', 'bkd_custom_hooks', 'randomness')


def teacher_stage(cfg: Config, work_dir: str, launcher: str) -> tuple:
    """Make sure ``model.teacher_checkpoint`` exists, training the teacher
    from ``teacher_config`` into ``<work_dir>/teacher`` when it does not.

    Returns:
        tuple: (checkpoint path, (stage, status, detail)).
    """
    given = cfg.model.get('teacher_checkpoint')
    if given:
        ckpt = latest_checkpoint(given)
        if ckpt:
            return ckpt, ('teacher', 'given', ckpt)
    if not cfg.get('teacher_config'):
        raise PipelineError(
            f'model.teacher_checkpoint={given!r} does not exist and the '
            f'config has no teacher_config to train it from; set one of them')
    teacher_file = resolve_path(cfg.teacher_config, cfg)
    if not osp.isfile(teacher_file):
        raise PipelineError(f'teacher_config={cfg.teacher_config!r} does '
                            f'not exist; point it at the teacher config')
    tcfg = Config.fromfile(teacher_file)
    for k, v in _cfg_dict(cfg.get('teacher_cfg_options') or {}).items():
        tcfg.merge_from_dict({k: v})
    tdir = osp.join(work_dir, 'teacher')
    marker = osp.join(tdir, 'teacher_done.json')
    digest = stage_hash(tcfg, TEACHER_KEYS)
    done = _done(marker, digest, 'teacher training')
    if done and osp.isfile(done['checkpoint']):
        return done['checkpoint'], ('teacher', 'skipped', done['checkpoint'])
    t0 = time.time()
    tcfg.resume = True  # continue an interrupted run from its latest ckpt
    tcfg.load_from = None
    _runner(tcfg, tdir, 'teacher', launcher).train()
    ckpt = find_latest_checkpoint(tdir)
    if ckpt is None:
        raise PipelineError(
            f'teacher training in {tdir} saved no checkpoint; enable the '
            f'checkpoint hook of {teacher_file}')
    if is_main_process():
        atomic_write_json(
            marker,
            dict(format=DONE_FORMAT, config_hash=digest, checkpoint=ckpt))
    barrier()
    return ckpt, ('teacher', 'done', f'{ckpt} ({time.time() - t0:.0f} s)')


def bkd_config(cfg: Config, work_dir: str) -> Config:
    """The BKD run of a search config: its ``bkd_*`` settings
    (``bkd_train_cfg``, ``bkd_custom_hooks``, optional
    ``bkd_param_scheduler``) back in place and the library hook writing
    ``<work_dir>/block_library.json``."""
    for k in ('bkd_train_cfg', 'bkd_custom_hooks'):
        if k not in cfg:
            raise PipelineError(
                f'the search config has no {k}: keep the BKD settings '
                f'reachable, e.g. {k} = {{{{_base_.'
                f'{k[4:]}}}}}')
    bcfg = copy.deepcopy(cfg)
    bcfg.train_cfg = copy.deepcopy(cfg.bkd_train_cfg)
    if 'bkd_param_scheduler' in cfg:
        bcfg.param_scheduler = copy.deepcopy(cfg.bkd_param_scheduler)
    hooks = copy.deepcopy(list(cfg.bkd_custom_hooks))
    found = False
    for h in hooks:
        if h.get('type') in ('mmdonna.BlockLibraryHook', 'BlockLibraryHook'):
            h['out_file'] = osp.abspath(
                osp.join(work_dir, 'block_library.json'))
            found = True
    if not found:
        raise PipelineError(
            'bkd_custom_hooks has no mmdonna.BlockLibraryHook: the block '
            'library is scored by it at the end of BKD; add it')
    if 'bn_calib_batches' in cfg:
        for h in hooks:
            if h.get('type') in ('mmdonna.BlockLibraryHook',
                                 'BlockLibraryHook'):
                h.setdefault('bn_calib_batches', cfg.bn_calib_batches)
    bcfg.custom_hooks = hooks
    return bcfg


def chance_level(cfg: Config, metric: str) -> Optional[float]:
    """The ``metric`` of guessing: 100 / classes for a classifier's top-k
    accuracy (k classes of them), None when the task has no such level."""
    if not metric.startswith('accuracy/top'):
        return None
    teacher = cfg.model.get('teacher') or {}
    classes = (teacher.get('head') or {}).get('num_classes')
    if not classes:
        return None
    k = int(metric[len('accuracy/top'):] or 1)
    return 100.0 * min(k, classes) / classes


def teacher_check(cfg: Config, work_dir: str, launcher: str) -> tuple:
    """Evaluate the teacher once on its validation split before BKD and
    refuse one that is no better than chance: distilling it copies noise.

    The metric is ``finetune_front.metric``; the floor is
    ``teacher_check.min`` or, for classifiers, 1.5 x chance. The evaluation
    is kept (the finetune stage reports the same number).

    Returns:
        tuple: the stage row.
    """
    from mmdonna.export.finetune_stage import evaluate_teacher
    tcheck = dict(cfg.get('teacher_check') or {})
    unknown = set(tcheck) - {'min', 'enabled'}
    if unknown:
        raise PipelineError(f'teacher_check has unknown keys '
                            f'{sorted(unknown)}; allowed: enabled, min')
    metric = (cfg.get('finetune_front') or {}).get('metric', 'accuracy/top1')
    if not tcheck.get('enabled', True) or not cfg.get('teacher_config'):
        return ('teacher check', 'skipped', 'teacher_check.enabled=False')
    floor = tcheck.get('min')
    chance = chance_level(cfg, metric)
    if floor is None and chance is not None:
        floor = 1.5 * chance
    value = evaluate_teacher(cfg, work_dir, metric, launcher)
    if floor is not None and value < floor:
        why = (f'chance is {chance:.1f}'
               if chance is not None else f'teacher_check.min is {floor}')
        raise PipelineError(
            f'the teacher ({cfg.model.get("teacher_checkpoint")}) scores '
            f'{metric}={value:.2f} on its validation split and {why}: '
            f'distilling it would copy noise; train it longer, check its BN '
            f'statistics (momentum, eval mode) or set teacher_check.min')
    return ('teacher check', 'done', f'{metric}={value:.2f}' +
            (f' (floor {floor:.2f})' if floor is not None else ''))


def bkd_hash(cfg: Config) -> str:
    """Hash of what BKD depends on: the config keys and the teacher's
    weights themselves (a teacher retrained to the same path must not reuse
    students distilled from the old one)."""
    ckpt = cfg.model.get('teacher_checkpoint')
    teacher = file_digest(ckpt) if ckpt and osp.isfile(ckpt) else None
    return config_hash(
        dict(config=stage_hash(cfg, BKD_KEYS), teacher_weights=teacher))


def bkd_stage(cfg: Config,
              work_dir: str,
              launcher: str,
              resume_from: Optional[str] = None) -> tuple:
    """BKD and library scoring (the hook), skipped when both are done.

    Returns:
        tuple: (BKD checkpoint, list of stage rows).
    """
    bdir = osp.join(work_dir, 'bkd')
    lib_file = osp.join(work_dir, 'block_library.json')
    marker = osp.join(bdir, 'bkd_done.json')
    digest = bkd_hash(cfg)
    done = _done(marker, digest, 'BKD training')
    library_ok = False
    if done and osp.isfile(done['checkpoint']) and osp.exists(lib_file):
        try:
            load_json_artifact(lib_file, LIBRARY_FORMAT, done['library_hash'],
                               'block library')
            library_ok = True
        except ArtifactError as e:
            print_log(f'{e}; scoring the block library again', 'current', 30)
    if library_ok:
        return done['checkpoint'], [('bkd', 'skipped', done['checkpoint']),
                                    ('library', 'skipped', lib_file)]
    rows = [] if done else [teacher_check(cfg, work_dir, launcher)]
    t0 = time.time()
    bcfg = bkd_config(cfg, work_dir)
    bcfg.resume = True
    bcfg.load_from = resume_from
    runner = _runner(bcfg, bdir, 'bkd', launcher)
    runner.train()
    ckpt = find_latest_checkpoint(bdir)
    if ckpt is None:
        raise PipelineError(
            f'BKD in {bdir} saved no checkpoint; enable the checkpoint hook '
            f'(default_hooks.checkpoint)')
    model = getattr(runner.model, 'module', runner.model)
    if is_main_process():
        atomic_write_json(
            marker,
            dict(
                format=DONE_FORMAT,
                config_hash=digest,
                checkpoint=ckpt,
                library_hash=model.space.fingerprint()))
    barrier()
    status = 'done' if not done else 'rescored'
    return ckpt, rows + [('bkd', 'skipped' if done else 'done', ckpt),
                         ('library', status, f'{lib_file} '
                          f'({time.time() - t0:.0f} s with BKD)')]


def export_stage(cfg: Config, work_dir: str, supernet, pareto: dict) -> tuple:
    """Every front architecture as a standalone subnet (``subnets/<name>.py``
    + ``.pth`` with BKD weights), by :func:`mmdonna.export.export_front`;
    already exported ones are kept.

    Returns:
        tuple: the stage row.
    """
    from mmdonna.export import export_front
    front = [
        dict(
            name=a['name'],
            code=a['code'],
            target=t,
            latency_ms=a['latency_measured_ms'],
            lut_ms=a['latency_lut_ms'],
            surrogate=a['surrogate'])
        for t, entry in pareto['targets'].items() for a in entry['front']
    ]
    sub = osp.join(work_dir, 'subnets')

    def stamp():
        return {
            f: osp.getmtime(osp.join(sub, f))
            for f in (os.listdir(sub) if osp.isdir(sub) else [])
        }

    t0 = time.time()
    before = stamp()
    if is_main_process():
        export_front(cfg, work_dir, supernet, front)
    barrier()
    after = stamp()
    status = 'skipped' if before and before == after else 'done'
    return ('export', status, f'{len(front)} subnets in {sub} '
            f'({time.time() - t0:.1f} s)')


def run_pipeline(cfg: Config,
                 work_dir: str,
                 launcher: str = 'none',
                 resume_from: Optional[str] = None) -> List[tuple]:
    """Run every missing stage of ``cfg`` (a search config) in
    ``work_dir``.

    Args:
        cfg (Config): Search config (``train_cfg`` is the search loop,
            ``bkd_train_cfg`` / ``bkd_custom_hooks`` the BKD run).
        work_dir (str): Work dir of all stages.
        launcher (str): MMEngine launcher. Defaults to 'none'.
        resume_from (str, optional): Checkpoint to resume BKD from instead
            of the latest one in ``<work_dir>/bkd``. Defaults to None.

    Returns:
        list[tuple]: ``(stage, status, detail)`` per stage.
    """
    cfg = copy.deepcopy(cfg)
    stages = []
    ckpt, row = teacher_stage(cfg, work_dir, launcher)
    stages.append(row)
    cfg.model.teacher_checkpoint = ckpt
    bkd_ckpt, rows = bkd_stage(cfg, work_dir, launcher, resume_from)
    stages += rows
    scfg = copy.deepcopy(cfg)
    scfg.load_from = bkd_ckpt  # BKD weights: exported subnets start there
    scfg.resume = False
    scfg.param_scheduler = None  # the search loop steps no schedule
    runner = _runner(scfg, work_dir, 'search', launcher)
    pareto = runner.train()
    stages += runner.train_loop.stage_log
    model = getattr(runner.model, 'module', runner.model)
    stages.append(export_stage(cfg, work_dir, model, pareto))
    from mmdonna.export.finetune_stage import finetune_stage
    row, table = finetune_stage(cfg, work_dir, pareto, launcher)
    stages.append(row)
    if is_main_process():
        from .search_report import write_search_report
        write_search_report(work_dir, stages)
        if table:
            with open(osp.join(work_dir, 'report.md'), 'a') as f:
                f.write('\n## Finetuned models vs the teacher\n\n' + table +
                        '\n')
    return stages
