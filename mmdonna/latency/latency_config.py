"""The ``latency`` config key: targets, LUT file, metric; building and
choosing estimators. Plain functions, used by tools/measure_latency.py and
the search."""
import copy
import os.path as osp
import re
from typing import List, Optional, Union

from mmdonna.registry import TASK_UTILS
from .base_latency_estimator import BaseLatencyEstimator
from .errors import LatencyConfigError

#: Used when a config has no ``latency`` key: one single-thread host ONNX
#: Runtime target, the one of ``configs/_base_/latency/host_ort.py`` (see the
#: reasons there).
DEFAULT_LATENCY = dict(
    targets=[
        dict(
            type='mmdonna.OnnxRuntimeEstimator',
            intra_op_threads=1,
            inter_op_threads=1,
            clock='thread_cpu',
            cache_flush_mb=4,
            warmup=10,
            repeats=50)
    ],
    lut_file='latency_lut.json',
    metric='min_ms',
    calibrate=8,
    passes=2,
    tries=3,
    seed=0,
    input_shape=None)

#: ``backend=`` shorthands for ``type=``.
BACKENDS = dict(
    onnxruntime='mmdonna.OnnxRuntimeEstimator',
    adb='mmdonna.AdbEstimator',
    flops='mmdonna.FlopsEstimator')


def latency_settings(latency: Optional[dict]) -> dict:
    """``latency`` config merged over :data:`DEFAULT_LATENCY` (a copy).

    Raises:
        LatencyConfigError: unknown keys or no targets.
    """
    settings = copy.deepcopy(DEFAULT_LATENCY)
    latency = copy.deepcopy(dict(latency or {}))
    unknown = sorted(set(latency) - set(settings))
    if unknown:
        raise LatencyConfigError(f'latency has unknown key(s) {unknown}; use '
                                 f'{sorted(settings)}')
    settings.update(latency)
    targets = settings['targets']
    if not isinstance(targets, (list, tuple)) or not all(
            isinstance(t, (dict, BaseLatencyEstimator)) for t in targets):
        raise LatencyConfigError(
            f'latency.targets must be a list of dicts, got {targets!r}')
    if not targets:
        raise LatencyConfigError(
            'latency.targets is empty; list at least one target, e.g. '
            "dict(type='mmdonna.OnnxRuntimeEstimator')")
    return settings


def estimator_types() -> List[str]:
    """Registered estimator types (``mmdonna.<Name>``)."""
    return sorted(
        f'mmdonna.{name}' for name, cls in TASK_UTILS.module_dict.items()
        if isinstance(cls, type) and issubclass(cls, BaseLatencyEstimator))


def build_estimator(cfg: Union[dict, BaseLatencyEstimator],
                    key: str = 'latency.targets[0]') -> BaseLatencyEstimator:
    """Build one target from ``dict(type=...)`` or ``dict(backend=...)``
    (``'onnxruntime'``, ``'adb'``, ``'flops'``).

    Raises:
        LatencyConfigError: one line naming ``key`` for an unknown type or
            backend, or a bad argument.
    """
    if isinstance(cfg, BaseLatencyEstimator):
        return cfg
    cfg = copy.deepcopy(dict(cfg))
    if 'backend' in cfg:
        backend = cfg.pop('backend')
        if backend not in BACKENDS:
            raise LatencyConfigError(
                f'{key}.backend={backend!r} is unknown; use one of '
                f'{sorted(BACKENDS)}')
        if 'type' in cfg and cfg['type'] != BACKENDS[backend]:
            raise LatencyConfigError(
                f'{key} sets both backend={backend!r} and '
                f'type={cfg["type"]!r}; keep one')
        cfg['type'] = BACKENDS[backend]
    kind = cfg.get('type')
    name = kind.split('.')[-1] if isinstance(kind, str) else None
    cls = TASK_UTILS.module_dict.get(name) if name else None
    if not (isinstance(cls, type) and issubclass(cls, BaseLatencyEstimator)):
        raise LatencyConfigError(
            f'{key}.type={kind!r} is not a latency estimator; use one of '
            f'{estimator_types()} (or backend= one of {sorted(BACKENDS)})')
    cfg['type'] = cls
    try:
        return TASK_UTILS.build(cfg)
    except LatencyConfigError:
        raise
    except TypeError as e:  # a misspelt argument
        msg = str(e).split(': ')[-1]
        raise LatencyConfigError(f'{key} ({name}): {msg}') from None


def build_targets(settings: dict) -> List[BaseLatencyEstimator]:
    """Every estimator of ``settings['targets']``; target ids must be
    unique."""
    targets = [
        build_estimator(t, f'latency.targets[{i}]')
        for i, t in enumerate(settings['targets'])
    ]
    ids = [t.target_id for t in targets]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise LatencyConfigError(
            f'latency.targets has duplicate target ids {dup}; give each a '
            f'distinct target_id')
    return targets


def select_target(targets: List[BaseLatencyEstimator],
                  name: Optional[str] = None) -> BaseLatencyEstimator:
    """The target called ``name`` (a target id, a backend, or an index in
    ``latency.targets``); the first when ``name`` is None.

    Raises:
        LatencyConfigError: no such target (the message lists them).
    """
    if name is None:
        return targets[0]
    for t in targets:
        if t.target_id == name:
            return t
    by_backend = [t for t in targets if t.backend == name]
    if len(by_backend) == 1:
        return by_backend[0]
    if name.isdigit() and int(name) < len(targets):
        return targets[int(name)]
    raise LatencyConfigError(
        f'--target {name!r} matches no target of latency.targets (target '
        f'ids {[t.target_id for t in targets]}, backends '
        f'{sorted({t.backend for t in targets})} or an index)')


def lut_path(settings: dict, work_dir: str, target_id: str) -> str:
    """Path of the LUT of ``target_id``: ``latency.lut_file`` in
    ``work_dir``, with ``{target_id}`` filled in (required when there are
    several targets)."""
    name = settings['lut_file']
    if len(settings['targets']) > 1 and '{target_id}' not in name:
        raise LatencyConfigError(
            f'latency.lut_file={name!r} is shared by '
            f'{len(settings["targets"])} targets; put {{target_id}} in it, '
            f"e.g. 'latency_lut.{{target_id}}.json'")
    safe = re.sub(r'[^A-Za-z0-9_.+-]', '_', target_id)
    return osp.join(work_dir, name.replace('{target_id}', safe))
