"""Stage markers: what a finished Runner stage consumed (config keys,
checkpoint bytes) and produced (its checkpoint)."""
import os.path as osp
from typing import Optional, Tuple

from mmengine.config import Config

from mmdonna import formats
from mmdonna.utils import config_hash, load_json_artifact
from mmdonna.utils.io import ArtifactError
from .errors import StageError


def _cfg_dict(cfg) -> dict:
    return cfg.to_dict() if isinstance(cfg, Config) else dict(cfg)


def stage_hash(cfg: Config, keys: Tuple[str, ...]) -> str:
    """Hash of the config keys a stage depends on."""
    d = _cfg_dict(cfg)
    return config_hash({k: d.get(k) for k in keys})


def read_marker(path: str, digest: str, what: str) -> Optional[dict]:
    """The stage marker when valid; None when absent.

    Raises:
        StageError: a marker of another config (the folder holds
            checkpoints of that config too).
    """
    if not osp.exists(path):
        return None
    try:
        return load_json_artifact(path, formats.STAGE_DONE, digest, what)
    except ArtifactError as e:
        raise StageError(
            f'{e}: its checkpoints belong to that config too; delete '
            f'{osp.dirname(path)} to redo the {what}') from None


def marker_checkpoint(marker: dict, folder: str) -> Optional[str]:
    """The checkpoint a marker names (relative to its folder, or as an
    absolute path from older markers), when the file exists."""
    ckpt = marker.get('checkpoint')
    if not ckpt:
        return None
    path = ckpt if osp.isabs(ckpt) else osp.join(folder, ckpt)
    return path if osp.isfile(path) else None
