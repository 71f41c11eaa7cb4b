"""Atomic, pickle-free work-dir artefacts.

Every stage writes JSON through :func:`atomic_write_json` (temp file in the
same folder + ``os.replace``), so a killed run leaves either the old file or
the new one, never half of one. :func:`load_json_artifact` turns a corrupt or
foreign file into a one-line error naming the file and the fix.
"""
import hashlib
import json
import os
import os.path as osp
import tempfile
from typing import Any, Optional


class ArtifactError(ValueError):
    """A work-dir artefact that cannot be used (corrupt, foreign, stale)."""


def _jsonable(obj: Any) -> Any:
    """numpy scalars/arrays and tuples to plain JSON types."""
    import numpy as np
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def atomic_write_json(path: str, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` atomically."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix='.' + osp.basename(path) + '.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'w') as f:
            json.dump(_jsonable(obj), f, indent=1, sort_keys=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def load_json_artifact(path: str,
                       fmt: str,
                       expected_hash: Optional[str] = None,
                       what: str = 'file') -> dict:
    """Load a JSON artefact written by mmdonna and check where it came from.

    Args:
        path (str): File to read.
        fmt (str): Expected value of the ``format`` key.
        expected_hash (str, optional): Expected ``config_hash``; ``None`` skips
            the check. Defaults to None.
        what (str): Name used in error messages. Defaults to 'file'.

    Raises:
        ArtifactError: one line naming the file, the problem and the fix.
    """
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise ArtifactError(f'{what} {path} does not exist') from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ArtifactError(
            f'{what} {path} is corrupt ({e.__class__.__name__}: {e}); delete '
            f'it to rebuild it') from None
    if not isinstance(data, dict) or data.get('format') != fmt:
        got = data.get('format') if isinstance(data, dict) else None
        raise ArtifactError(
            f'{what} {path} has format {got!r}, expected {fmt!r}; it was not '
            f'written by this mmdonna stage: delete it or point to the right '
            f'file')
    if expected_hash is not None and data.get('config_hash') != expected_hash:
        raise ArtifactError(
            f'{what} {path} was built for another config (config_hash '
            f'{data.get("config_hash")!r}, this config {expected_hash!r}); '
            f'delete it or use a fresh --work-dir')
    return data


def file_digest(path: str, chunk: int = 1 << 20) -> str:
    """Short sha256 of a file's bytes (e.g. a checkpoint a stage depends on:
    the same path may hold another model later)."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            h.update(block)
    return h.hexdigest()[:16]


def config_hash(obj: Any) -> str:
    """Stable short hash of a JSON-able description."""
    text = json.dumps(_jsonable(obj), sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def latest_checkpoint(path: Optional[str]) -> Optional[str]:
    """A checkpoint given as a file or as a work dir: the file itself, or the
    checkpoint the work dir's ``last_checkpoint`` names (MMEngine's latest);
    None when there is none."""
    from mmengine.runner.checkpoint import find_latest_checkpoint
    if path and osp.isdir(path):
        path = find_latest_checkpoint(path)
    return path if path and osp.isfile(path) else None


def check_checkpoint(path: str, key: str) -> str:
    """A checkpoint file or work dir that exists and looks like a torch
    checkpoint (a zip archive, or a legacy pickle), without loading it.

    Args:
        path (str): A checkpoint file, or a work dir (its latest one).
        key (str): The config key or option that named it, for the error.

    Returns:
        str: The checkpoint file.

    Raises:
        ArtifactError: one line naming ``key`` and the file.
    """
    import zipfile
    found = None
    if osp.isfile(path) or osp.isfile(osp.join(path, 'last_checkpoint')):
        found = latest_checkpoint(path)
    if found is None:
        what = 'is a work dir with no checkpoint' if osp.isdir(
            path) else 'does not exist'
        raise ArtifactError(f'checkpoint {path!r} ({key}) {what}: give an '
                            f'existing checkpoint file')
    with open(found, 'rb') as f:
        head = f.read(2)
    # torch.save writes a zip archive; before torch 1.6 a pickle (0x80)
    if not (zipfile.is_zipfile(found) or head[:1] == b'\x80'):
        raise ArtifactError(f'checkpoint {found!r} ({key}) is not a PyTorch '
                            f'checkpoint (corrupt or truncated): save it '
                            f'again or point to the right file')
    return found
