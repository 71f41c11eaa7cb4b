"""``subnets/manifest.json``: what each exported subnet was made from and
the digest of its weights, so that the export stage keeps only subnets
whose files are intact and current."""
import logging
import os.path as osp
from typing import Dict, Optional, Sequence

from mmengine.config import Config
from mmengine.logging import print_log

from mmdonna import formats
from mmdonna.utils import (atomic_write_json, config_hash, file_digest,
                           load_json_artifact)
from mmdonna.utils.io import ArtifactError

MANIFEST = 'manifest.json'


def export_settings(finetune: Optional[dict],
                    bn_calib_batches: int,
                    weights: Optional[str] = None) -> str:
    """Hash of what an exported subnet's files depend on besides its code:
    the finetune overrides written into its config, the BN recalibration
    of its weights and ``weights``, what identifies the weights they are
    cut from (the BKD run's hash: its config and the teacher's digest)."""
    d = dict(finetune=finetune or {}, bn_calib_batches=bn_calib_batches)
    if weights is not None:
        d['weights'] = weights
    return config_hash(d)


def read_manifest(folder: str) -> Dict[str, dict]:
    """``{name: dict(code, settings, pth_digest)}`` of ``folder``'s
    manifest; empty when there is none or it is unusable (every subnet is
    then exported again)."""
    path = osp.join(folder, MANIFEST)
    if not osp.exists(path):
        return {}
    try:
        data = load_json_artifact(path, formats.SUBNET_MANIFEST, None,
                                  'subnet manifest')
    except ArtifactError as e:
        print_log(f'{e}; exporting every subnet again', 'current',
                  logging.WARNING)
        return {}
    subnets = data.get('subnets')
    return dict(subnets) if isinstance(subnets, dict) else {}


def write_manifest(folder: str, subnets: Dict[str, dict]) -> None:
    """Write ``folder``'s manifest atomically."""
    atomic_write_json(
        osp.join(folder, MANIFEST),
        dict(format=formats.SUBNET_MANIFEST, subnets=subnets))


def manifest_entry(pth: str, code: Sequence[int], settings: str) -> dict:
    """The manifest entry of a freshly exported subnet: its code, export
    settings and the sha256 of its weights (first 16 hex digits)."""
    return dict(
        code=[int(c) for c in code],
        settings=settings,
        pth_digest=file_digest(pth))


def subnet_is_current(folder: str, name: str, code: Sequence[int],
                      settings: str, manifest: Dict[str, dict]) -> bool:
    """Whether ``<folder>/<name>.py`` and ``.pth`` hold ``code`` exported
    with ``settings``: the manifest says so, the config records the code
    and the weights' bytes match the recorded digest (a missing, truncated
    or replaced ``.pth`` does not)."""
    code = [int(c) for c in code]
    entry = manifest.get(name) or {}
    py = osp.join(folder, name + '.py')
    pth = osp.join(folder, name + '.pth')
    if (entry.get('code') != code or entry.get('settings') != settings
            or not osp.isfile(py) or not osp.isfile(pth)):
        return False
    if file_digest(pth) != entry.get('pth_digest'):
        print_log(
            f'{pth} does not match the digest of its export; exporting '
            f'it again', 'current', logging.WARNING)
        return False
    try:
        return Config.fromfile(py).donna_meta.code == code
    except Exception:  # noqa: B902  (unreadable: export again)
        return False
