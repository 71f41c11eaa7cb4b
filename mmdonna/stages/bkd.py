"""The BKD stage: the derived BKD run, and the block library its hook
scores when training ends."""
import os.path as osp
import time
from typing import Optional

from mmengine.dist import barrier, is_main_process
from mmengine.logging import print_log
from mmengine.runner.checkpoint import find_latest_checkpoint

from mmdonna import formats
from mmdonna.utils import (atomic_write_json, config_hash, file_digest,
                           load_json_artifact)
from mmdonna.utils.io import ArtifactError
from .derive import bkd_config
from .errors import StageError
from .markers import marker_checkpoint, read_marker, stage_hash
from .quiet_runner import build_runner
from .stage_context import StageContext
from .teacher import teacher_check

#: What BKD depends on, besides the teacher's weights.
BKD_KEYS = ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper',
            'param_scheduler', 'custom_hooks', 'randomness')


def teacher_digest(teacher_checkpoint: Optional[str]) -> Optional[str]:
    """Digest of the teacher's weights (None: no checkpoint)."""
    if teacher_checkpoint and osp.isfile(teacher_checkpoint):
        return file_digest(teacher_checkpoint)
    return None


def stamp_library(lib_file: str, digest: str, checkpoint_digest: str) -> None:
    """Record in ``lib_file`` the BKD run that scored it: the BKD marker's
    hash (config and teacher weights) and the digest of its checkpoint."""
    lib = load_json_artifact(lib_file, formats.BLOCK_LIBRARY)
    lib.update(bkd_hash=digest, bkd_checkpoint_digest=checkpoint_digest)
    atomic_write_json(lib_file, lib)


def foreign_library(lib_file: str, lib: dict, digest: str) -> str:
    """The one line refusing a library scored by another BKD run."""
    return (f'block library {lib_file} was scored by another BKD run '
            f'(bkd_hash {lib.get("bkd_hash")!r}, this run {digest!r}: '
            f'another teacher, schedule or seed over the same space); run '
            f'--stage bkd to score it with this run, or delete it')


def bkd_hash(bcfg, teacher_checkpoint) -> str:
    """Hash of what BKD depends on: the BKD config's keys (the teacher's
    path left out: a moved work dir keeps its students) and the teacher's
    weights themselves (a teacher retrained to the same path must not reuse
    students distilled from the old one)."""
    teacher = teacher_digest(teacher_checkpoint)
    d = bcfg.to_dict()
    d['model'] = dict(d['model'], teacher_checkpoint=None)
    return config_hash(
        dict(config=stage_hash(d, BKD_KEYS), teacher_weights=teacher))


def bkd(ctx: StageContext) -> str:
    """BKD of every block's options (``<work_dir>/bkd``) and the block
    library (``block_library.json``), skipped when both are done; the
    teacher is checked first. Sets ``ctx.bkd_checkpoint``."""
    bdir = ctx.path('bkd')
    lib_file = ctx.path('block_library.json')
    marker = osp.join(bdir, 'bkd_done.json')
    bcfg = bkd_config(ctx.cfg, ctx.teacher_checkpoint, ctx.settings)
    digest = bkd_hash(bcfg, ctx.teacher_checkpoint)
    done = read_marker(marker, digest, 'BKD training')
    ckpt = done and marker_checkpoint(done, bdir)
    if ckpt and osp.exists(lib_file):
        try:
            lib = load_json_artifact(lib_file, formats.BLOCK_LIBRARY,
                                     done['library_hash'], 'block library')
        except ArtifactError as e:
            if ctx.only is not None and ctx.only != 'bkd':
                raise StageError(f'{e}; or run --stage bkd to score it '
                                 f'again') from None
            print_log(f'{e}; scoring the block library again', ctx.logger)
        else:
            if lib.get('bkd_hash') == digest:
                ctx.bkd_checkpoint, ctx.bkd_hash = ckpt, digest
                ctx.row('bkd', 'skipped', ckpt)
                ctx.row('library', 'skipped', lib_file)
                return ckpt
            if ctx.only != 'bkd':
                raise StageError(foreign_library(lib_file, lib, digest))
            print_log(
                foreign_library(lib_file, lib, digest) + '; scoring it again',
                ctx.logger)
    ctx.may_run('bkd', f'the BKD checkpoint and block library ({marker})')
    if not ckpt:
        teacher_check(ctx)
    t0 = time.time()
    bcfg.resume = True
    bcfg.load_from = ctx.resume_from
    runner = build_runner(bcfg, bdir, 'bkd', ctx.launcher, ctx.verbose)
    runner.train()
    ckpt = find_latest_checkpoint(bdir)
    if ckpt is None:
        raise StageError(f'BKD in {bdir} saved no checkpoint; enable the '
                         f'checkpoint hook (default_hooks.checkpoint)')
    model = getattr(runner.model, 'module', runner.model)
    if is_main_process():
        if osp.exists(lib_file):
            stamp_library(lib_file, digest, file_digest(ckpt))
        atomic_write_json(
            marker,
            dict(
                format=formats.STAGE_DONE,
                config_hash=digest,
                checkpoint=osp.relpath(ckpt, bdir),
                teacher_digest=teacher_digest(ctx.teacher_checkpoint),
                library_hash=model.space.fingerprint()))
    barrier()
    ctx.bkd_checkpoint, ctx.bkd_hash = ckpt, digest
    if done:
        ctx.row('bkd', 'skipped', ckpt)
        ctx.row('library', 'rescored', lib_file, t0)
    else:
        ctx.row('bkd', 'done', ckpt, t0)
        ctx.row('library', 'done', lib_file)
    return ckpt
