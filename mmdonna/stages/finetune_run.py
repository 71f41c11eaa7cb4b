"""A finetune run resumes only itself: the settings of the run in
``finetune/<name>/`` are recorded there (``finetune_run.json``, a hash with
work-dir paths made relative), and a run of other settings is moved aside
before a fresh one starts."""
import os
import os.path as osp
from typing import Any, Optional

from mmengine.config import Config

from mmdonna import formats
from mmdonna.utils import atomic_write_json, config_hash, load_json_artifact
from mmdonna.utils.io import ArtifactError

#: The record of a run's settings, in its work dir.
RUN_RECORD = 'finetune_run.json'
#: Keys of a subnet config that say where or how a run is launched, not
#: what it trains (``donna_meta``: the search's figures, e.g. its latency).
NOT_SETTINGS = ('work_dir', 'launcher', 'resume', 'donna_meta')


def relative_paths(value: Any, work_dir: str) -> Any:
    """``value`` with every path into ``work_dir`` (absolute, or starting
    with ``work_dir`` as given) relative to it: the same settings hash the
    same in a moved or copied work dir."""
    if isinstance(value, dict):
        return {k: relative_paths(v, work_dir) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [relative_paths(v, work_dir) for v in value]
    if not isinstance(value, str) or not (osp.isabs(value) or value.startswith(
            osp.join(work_dir, ''))):
        return value
    root, path = osp.abspath(work_dir), osp.abspath(value)
    if osp.commonpath([root, path]) != root:
        return value
    return osp.relpath(path, root).replace(os.sep, '/')


def finetune_hash(cfg: Config, work_dir: str, bn_batches: int,
                  student_digest: Optional[str]) -> str:
    """Hash of what a subnet's finetuning does: its config (less
    :data:`NOT_SETTINGS`, paths into ``work_dir`` relative), the BN
    recalibration batches and the digest of its initial weights."""
    d = cfg.to_dict()
    for k in NOT_SETTINGS:
        d.pop(k, None)
    return config_hash(
        dict(
            cfg=relative_paths(d, work_dir),
            bn_batches=bn_batches,
            student=student_digest))


def recorded_hash(run_dir: str) -> Optional[str]:
    """The settings hash recorded in ``run_dir`` (None: no usable record)."""
    try:
        return load_json_artifact(
            osp.join(run_dir, RUN_RECORD), formats.FINETUNE_RUN, None,
            'finetune run record').get('config_hash')
    except ArtifactError:
        return None


def claim_run_dir(run_dir: str, digest: str) -> Optional[str]:
    """Make ``run_dir`` a run of the settings ``digest``: a folder holding a
    run of other (or unrecorded) settings is moved aside to
    ``<run_dir>.<its hash>`` first, so that nothing resumes it; then the
    record is written.

    Returns:
        str | None: Where the other run went; None when nothing moved.
    """
    moved = None
    old = recorded_hash(run_dir)
    if osp.isdir(run_dir) and os.listdir(run_dir) and old != digest:
        base = f'{run_dir}.{old or "unrecorded"}'
        moved, n = base, 1
        while osp.exists(moved):
            moved, n = f'{base}.{n}', n + 1
        os.replace(run_dir, moved)
    if moved is not None or old != digest:
        atomic_write_json(
            osp.join(run_dir, RUN_RECORD),
            dict(format=formats.FINETUNE_RUN, config_hash=digest))
    return moved


def run_finished(marker: str, digest: str) -> bool:
    """Whether ``marker`` records a finished run of the settings
    ``digest``."""
    try:
        load_json_artifact(marker, formats.FINETUNE_DONE, digest)
    except ArtifactError:
        return False
    return True
