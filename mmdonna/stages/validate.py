"""The whole ``donna`` config checked before the first stage runs.

:func:`validate_config` refuses, in one line naming the key or file, what
would otherwise fail after the teacher, BKD and the LUT have run: a type
that is not registered in the ``mmdonna`` scope (surrogate, filter, latency
targets, option types), bad search / rerank / finetune values, a cut path
that is not a module of the teacher, an option whose output shape does not
fit, a missing data root of the teacher's dataloaders, a teacher checkpoint
or ``--resume`` file that is missing or not a PyTorch checkpoint. Nothing in
the work dir is read or written before it passes.
"""
import copy
import os.path as osp
import traceback
from typing import Iterator, Optional, Tuple

from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope

from mmdonna.latency import build_targets, latency_settings
from mmdonna.registry import MODELS, TASK_UTILS
from mmdonna.search.multi_target import ALGORITHMS
from mmdonna.search.nsga2 import OPERATORS
from mmdonna.search.search_stages import CONSTRAINT_KEYS
from mmdonna.utils import check_checkpoint
from .derive import (bkd_config, donna_settings, finetune_metric,
                     finetune_overrides, supernet_model, teacher_config)
from .errors import DonnaConfigError
from .finetune import choose_models

#: What a type of each typed ``donna`` section has (a surrogate scores
#: architectures, a filter runs over the library).
KINDS = dict(surrogate='metric_name', filter='run')


def registered(cfg: dict, key: str):
    """``cfg`` (a dict with a ``type``) with its type resolved in the
    ``mmdonna`` scope and built there, as the stages build it.

    Args:
        cfg (dict): e.g. ``donna.surrogate``.
        key (str): Its config key (``donna.surrogate``, ``donna.filter``),
            for the error.

    Raises:
        DonnaConfigError: an unknown type, or an argument it does not take.
    """
    cfg = copy.deepcopy(dict(cfg))
    kind = cfg.get('type')
    has = KINDS.get(key.rpartition('.')[-1])
    if isinstance(kind, str):
        scope, _, name = kind.rpartition('.')
        TASK_UTILS.import_from_location()
        ours = scope in ('', 'mmdonna')
        cls = TASK_UTILS.module_dict.get(name) if ours else None
        if has is not None and not hasattr(cls, has):
            cls = None
        if cls is None:
            known = sorted(f'mmdonna.{n}'
                           for n, c in TASK_UTILS.module_dict.items()
                           if has is None or hasattr(c, has))
            raise DonnaConfigError(
                f'unknown type ({key}.type={kind!r}): it is not registered in '
                f'mmdonna\'s TASK_UTILS; use one of {known}')
        cfg['type'] = cls
    elif not isinstance(kind, type):
        raise DonnaConfigError(f'no type ({key}): give {key}.type, e.g. '
                               f"'mmdonna.BlockLossSum'")
    try:
        with DefaultScope.overwrite_default_scope('mmdonna'):
            return TASK_UTILS.build(cfg)
    except (TypeError, ValueError, KeyError) as e:
        msg = str(e.args[0] if isinstance(e, KeyError) and e.args else e)
        msg = msg.splitlines()[0]
        if msg.startswith('class `'):  # mmengine's prefix
            msg = msg.split(': ', 1)[-1]
        raise DonnaConfigError(f'bad value ({key}): {msg}') from None


def check_search(search: dict) -> None:
    """Refuse ``donna.search`` values that cannot work, in one line.

    Raises:
        DonnaConfigError: naming the key.
    """
    if search['algorithm'] not in ALGORITHMS:
        raise DonnaConfigError(f'donna.search.algorithm='
                               f'{search["algorithm"]!r}; use one of '
                               f'{ALGORITHMS}')
    eps = search['latency_eps_ms']
    if eps is not None and not (_number(eps) and eps > 0):
        raise DonnaConfigError(f'donna.search.latency_eps_ms={eps!r} must be '
                               f'> 0 (or None)')
    if search['operators'] not in OPERATORS:
        raise DonnaConfigError(f'donna.search.operators='
                               f'{search["operators"]!r}; use one of '
                               f'{OPERATORS}')
    for key, low in (('pop_size', 2), ('n_gen', 1)):
        v = search[key]
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            raise DonnaConfigError(f'donna.search.{key}={v!r} must be an '
                                   f'integer >= {low}')
    check_constraints(search['constraints'])


def check_constraints(constraints: Optional[dict],
                      targets: Optional[list] = None) -> None:
    """``donna.search.constraints``: known keys, positive bounds (or
    ``{target_id: bound}`` of known targets for ``latency_ms``)."""
    key = 'donna.search.constraints'
    if constraints is None:
        return
    if not isinstance(constraints, dict):
        raise DonnaConfigError(f'{key}={constraints!r} must be a dict, e.g. '
                               f'dict(latency_ms=2.0)')
    unknown = sorted(set(constraints) - set(CONSTRAINT_KEYS))
    if unknown:
        raise DonnaConfigError(f'{key} has unknown key(s) {unknown}; use '
                               f'{sorted(CONSTRAINT_KEYS)}')
    for name, v in constraints.items():
        bounds = v if isinstance(v, dict) else {None: v}
        for t, b in bounds.items():
            where = f'{key}.{name}' + ('' if t is None else f'[{t!r}]')
            if b is not None and not (_number(b) and b > 0):
                raise DonnaConfigError(f'{where}={b!r} must be a positive '
                                       f'number (or None)')
            if t is not None and targets is not None and t not in targets:
                raise DonnaConfigError(f'{where}: no latency target has this '
                                       f'id; targets: {targets}')


def check_rerank(rerank: dict) -> None:
    """Refuse ``donna.rerank`` values that cannot work, in one line."""
    n = rerank['max_archs']
    if n is not None and (not isinstance(n, int) or isinstance(n, bool)
                          or n < 2):
        raise DonnaConfigError(f'donna.rerank.max_archs={n!r} must be an '
                               f'integer >= 2 (or None: the whole front)')
    for key, low in (('bn_batches', 0), ('val_batches', 1)):
        v = rerank[key]
        if v is not None and (not isinstance(v, int) or isinstance(v, bool)
                              or v < low):
            raise DonnaConfigError(f'donna.rerank.{key}={v!r} must be an '
                                   f'integer >= {low} (or None: the '
                                   f'default)')
    metric = rerank['metric']
    if metric is not None and not isinstance(metric, str):
        raise DonnaConfigError(f'donna.rerank.metric={metric!r} must be a '
                               f"metric name, e.g. 'accuracy/top1'")


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_finetune(cfg: Config, settings: dict) -> None:
    models = settings['finetune']['models']
    front = [
        dict(code=[i], latency_lut_ms=float(i), surrogate=-float(i))
        for i in range(3)
    ]
    if not isinstance(models, (str, int, list, tuple, dict, type(None))):
        raise DonnaConfigError(
            f'donna.finetune.models={models!r}: use fastest, middle, best, '
            f'a list of them, a number or dict(latency_ms=...)')
    if isinstance(models, dict) and set(models) == {'latency_ms'}:
        if not _number(models['latency_ms']):
            raise DonnaConfigError(
                f'donna.finetune.models={models!r}: the budget must be a '
                f'number of ms')
    choose_models(front, models)
    finetune_overrides(cfg, settings)
    needs_metric = (
        settings['teacher_check']['enabled'] or bool(models)
        or (settings['rerank']['enabled']
            and settings['rerank']['metric'] is None))
    if needs_metric:
        finetune_metric(cfg, settings)


def _check_teacher_checkpoint(settings: dict,
                              resume_from: Optional[str]) -> None:
    given = settings['teacher_checkpoint']
    if given is not None:
        if not isinstance(given, str) or not given:
            raise DonnaConfigError(
                f'donna.teacher_checkpoint={given!r} must be a checkpoint '
                f'file or work dir (None: train the teacher)')
        if not osp.exists(given):
            raise DonnaConfigError(
                f'missing file (donna.teacher_checkpoint={given!r}): no such '
                f'file or work dir; fix the path, or set it to None to train '
                f'the teacher')
        check_checkpoint(given, 'donna.teacher_checkpoint')
    if resume_from is not None:
        check_checkpoint(resume_from, '--resume')


def dataset_paths(dataset, key: str) -> Iterator[Tuple[str, str]]:
    """``(config key, path)`` of every local file or folder a dataset config
    reads: ``data_root``, and ``ann_file`` / ``data_prefix`` under it
    (wrapped datasets too). Datasets that generate their data (a
    ``generate`` setting) and remote paths (``s3://...``) are left out."""
    if isinstance(dataset, (list, tuple)):
        for i, d in enumerate(dataset):
            yield from dataset_paths(d, f'{key}[{i}]')
        return
    if not isinstance(dataset, dict) or dataset.get('generate'):
        return
    for inner in ('dataset', 'datasets'):
        if inner in dataset:
            yield from dataset_paths(dataset[inner], f'{key}.{inner}')
    root = dataset.get('data_root') or ''
    if not isinstance(root, str):
        return
    if root:
        yield f'{key}.data_root', root
    ann = dataset.get('ann_file')
    if isinstance(ann, str) and ann:
        yield f'{key}.ann_file', osp.join(root, ann)
    prefix = dataset.get('data_prefix')
    prefixes = prefix if isinstance(prefix, dict) else {None: prefix}
    for name, p in prefixes.items():
        if isinstance(p, str) and p:
            sub = '' if name is None else f'.{name}'
            yield f'{key}.data_prefix{sub}', osp.join(root, p)


def check_data(cfg: Config,
               loaders: Tuple[str,
                              ...] = ('train_dataloader', 'val_dataloader')):
    """Every local data path of ``loaders`` in ``cfg`` exists.

    Raises:
        DonnaConfigError: naming the key and the path.
    """
    d = cfg.to_dict() if isinstance(cfg, Config) else dict(cfg)
    for loader in loaders:
        dataset = (d.get(loader) or {}).get('dataset')
        for key, path in dataset_paths(dataset, f'{loader}.dataset'):
            if '://' in path:
                continue
            if not osp.exists(path):
                raise DonnaConfigError(
                    f'missing data ({key}={path!r}): no such file or '
                    f'folder; fix the path or put the data there')


def _check_supernet(cfg: Config, settings: dict) -> None:
    """The supernet over the teacher without weights: cut paths, option
    types and option shapes (a dummy forward each)."""
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    model = supernet_model(cfg, None, settings)
    try:
        MODELS.build(model)
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        msg = str(e.args[0] if isinstance(e, KeyError) and e.args else e)
        msg = ' '.join(line.strip() for line in msg.splitlines())
        msg = msg.split('. Please check whether')[0]  # mmengine's advice
        for key in ('blocks', 'component'):
            msg = msg.replace(f'model.{key}', f'donna.{key}')
        raise DonnaConfigError(f'bad cut point or option (donna.blocks): '
                               f'{msg}') from None
    except AssertionError as e:
        # an mm library's own check of its config (``assert dim in ...``)
        raise DonnaConfigError(
            assertion_line(e, cfg.model.to_dict(), 'model')) from None


def _config_key(cfg, type_name: str, key: str) -> Optional[str]:
    """The key of the first dict in ``cfg`` whose ``type`` is
    ``type_name`` (scoped or not; a class too), depth first."""
    if isinstance(cfg, dict):
        t = cfg.get('type')
        t = getattr(t, '__name__', t)
        if isinstance(t, str) and t.rsplit('.', 1)[-1] == type_name:
            return key
        items = cfg.items()
    elif isinstance(cfg, (list, tuple)):
        items = ((f'[{i}]', v) for i, v in enumerate(cfg))
    else:
        return None
    for k, v in items:
        sub = f'{key}{k}' if k.startswith('[') else f'{key}.{k}'
        found = _config_key(v, type_name, sub)
        if found:
            return found
    return None


def assertion_line(error: AssertionError,
                   model_cfg: dict,
                   key: str = 'model') -> str:
    """One line for an ``assert`` that failed while an mm library built the
    model: the config key of the innermost module being built (found by its
    class name among the config's ``type`` values), the library's message and
    the file and line of the check.

    Args:
        error (AssertionError): Raised by a builder.
        model_cfg (dict): The model config that was built.
        key (str): Its key in the user's config. Defaults to 'model'.
    """
    frames = traceback.extract_tb(error.__traceback__)
    where, line = '', ''
    if frames:
        f = frames[-1]
        parts = f.filename.replace('\\', '/').split('/')
        lib = [i for i, p in enumerate(parts) if p.startswith('mm')]
        where = '/'.join(parts[lib[-1]:] if lib else parts[-2:])
        where = f' ({where}:{f.lineno})'
        line = (f.line or '').strip()
    owner = None
    tb = error.__traceback__
    while tb is not None:  # the innermost module whose __init__ ran
        self = tb.tb_frame.f_locals.get('self')
        if self is not None and tb.tb_frame.f_code.co_name == '__init__':
            found = _config_key(model_cfg, type(self).__name__, key)
            owner = found or owner
        tb = tb.tb_next
    msg = ' '.join(str(error).split()) or line or 'an assert failed'
    return (f'{owner or key} cannot be built: {msg}{where}; fix this part '
            f'of the model config')


def validate_config(cfg: Config,
                    resume_from: Optional[str] = None,
                    build: bool = True) -> dict:
    """Check the whole ``donna`` config before any stage runs.

    Args:
        cfg (Config): The user's mm config with its ``donna`` section (left
            untouched).
        resume_from (str, optional): The ``--resume`` checkpoint of BKD.
            Defaults to None.
        build (bool): Build the supernet over the teacher (no weights) to
            check cut paths and option shapes. Defaults to True.

    Returns:
        dict: The settings (:func:`donna_settings`).

    Raises:
        DonnaConfigError: one line naming the key or file (an
            :class:`~mmdonna.utils.io.ArtifactError` for a checkpoint that
            is not one).
    """
    settings = donna_settings(cfg)
    registered(settings['surrogate'], 'donna.surrogate')
    registered(settings['filter'], 'donna.filter')
    try:
        with DefaultScope.overwrite_default_scope('mmdonna'):
            targets = build_targets(latency_settings(settings['latency']))
    except ValueError as e:
        msg = str(e)
        raise DonnaConfigError(f'donna.{msg}' if msg.startswith('latency') else
                               f'bad latency target (donna.latency): '
                               f'{msg}') from None
    check_search(settings['search'])
    check_constraints(settings['search']['constraints'],
                      [t.target_id for t in targets])
    check_rerank(settings['rerank'])
    _check_finetune(cfg, settings)
    _check_teacher_checkpoint(settings, resume_from)
    bcfg = bkd_config(cfg, None, settings)  # the library's held-out data
    check_data(teacher_config(cfg))
    check_data(bcfg, ('train_dataloader', ))
    library = bcfg.custom_hooks[0]['dataloader']
    check_data(dict(library=library), ('library', ))
    if build:
        _check_supernet(cfg, settings)
    return settings
