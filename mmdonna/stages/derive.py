"""One ``donna = dict(...)`` section over an unchanged mm config -> the runs
of every stage.

A NAS config inherits the user's mm config as it is and adds::

    donna = dict(
        blocks=['backbone.layer2', 'backbone.layer3'],  # cut points
        options='mbconv',                               # a registered set
        input_shape=(3, 224, 224))

The config without ``donna`` is the teacher (trained into
``<work_dir>/teacher`` when ``donna.teacher_checkpoint`` is None; a given
path that does not exist is an error); everything else is derived here: the
BKD run (:func:`bkd_config`: the supernet over the user's model, no
validation loop, the block library hook on the user's validation data, DDP
settings, a BKD schedule), the search settings and the finetuning of
exported subnets. Every key says only what differs from :data:`DEFAULTS`;
an unknown key is a one-line error.
"""
import copy
from typing import Any, Dict, List, Optional

from mmengine.config import Config

from mmdonna.export.subnet_export import FINETUNE_KEYS
from mmdonna.latency import DEFAULT_LATENCY
from mmdonna.search_space import option_set
from mmdonna.search_space.builder import SearchSpaceError
from mmdonna.utils.bn_calibration import DEFAULT_CALIB_BATCHES
from .errors import DonnaConfigError

#: Every key of a ``donna`` section and its default.
DEFAULTS: Dict[str, Any] = dict(
    # cut points, in network order: module paths of the teacher
    # ('backbone.layer2'), or dict(path=..., options=..., weight_sharing=...)
    blocks=None,
    # option set of the blocks that name none: a registered name
    # (mmdonna.search_space.OPTION_SETS) or a list of option dicts
    options=None,
    # (C, H, W) the block shapes, library FLOPs and latency are taken at
    input_shape=(3, 224, 224),
    # the top-level module(s) the cut points lie in: 'backbone' or a list
    # (['backbone', 'neck']); default: those of the cut points. Exported
    # subnets replace each one holding cut points by a DonnaBackbone
    component=None,
    # teacher weights (a file or a work dir); None: trained here
    teacher_checkpoint=None,
    # evaluate the teacher before BKD; refuse one below `min` (default
    # 1.5 x chance for classifiers)
    teacher_check=dict(enabled=True, min=None),
    bkd=dict(
        # schedule: epochs or iterations (default: 5 epochs for a teacher
        # trained by epochs, 5000 iterations otherwise), Adam, cosine decay
        epochs=None,
        iters=None,
        lr=1e-3,
        optim_wrapper=None,  # replaces Adam(lr) when given
        checkpoint_interval=None,  # default: every epoch / a fifth
        # options trained per block and step ('sample'), or all of them
        train_options='sample',
        num_sampled=1,
        seed=0,
        loss_weight=1.0,
        nsr_form='channel',
        teacher_option=True,
        # training batches that re-estimate BN statistics of every option
        # before scoring, and of every assembled model
        bn_calib_batches=DEFAULT_CALIB_BATCHES,
        train_dataloader=None,  # merged into the teacher's
        # held-out data of the block library: the teacher's val_dataloader,
        # with these changes merged in
        library_dataloader=None,
        library_batches=None,  # score at most this many held-out batches
    ),
    # mmdonna.latency settings (default: mmdonna.latency.DEFAULT_LATENCY,
    # this host's CPU through ONNX Runtime, one thread); a target without
    # type/backend is the default target with its keys changed
    latency=None,
    surrogate=dict(type='mmdonna.BlockLossSum'),
    # DONNAv2 KD filter: 5 % slack (LUT jitter on a shared CPU), >= 2 options
    # per block, no option with more than 2x the teacher block's params
    filter=dict(
        type='mmdonna.KDFilter',
        slack=0.05,
        min_keep=2,
        max_cost_ratio=dict(params=2.0)),
    search=dict(
        algorithm='auto',  # exact front when the objectives add up
        latency_eps_ms=None,
        constraints=None,  # e.g. dict(latency_ms=2.0)
        pop_size=64,
        n_gen=40,
        seed=0,
        operators='ordinal',
        hardware_in_the_loop=True,
        num_random_samples=1000),
    # the front re-scored by the one-shot quality of its assembled BKD
    # subnets (BN re-estimated, task metric on held-out batches, ~1 s per
    # architecture on the demo); finetuning picks from the re-ranked front
    rerank=dict(
        enabled=True,
        max_archs=32,  # spread over each front (None: all of it)
        metric=None,  # default: the finetune metric
        higher_is_better=True,
        bn_batches=None,  # default: bkd.bn_calib_batches
        val_batches=None),  # default: the whole val_dataloader
    finetune=dict(
        # 'fastest', 'middle', 'best' (of each front), a list of them, a
        # number spread over the front, dict(latency_ms=...) (the best
        # under a budget), or None
        models='middle',
        metric=None,  # default: from the teacher's val_evaluator
        # schedule shorthands over the teacher's own training recipe
        epochs=None,
        iters=None,
        lr=None,
        distill=None,  # default: mmdonna.distill.default_distill
        train_cfg=None,
        optim_wrapper=None,
        param_scheduler=None,
        default_hooks=None,
        train_dataloader=None,
        randomness=None,
        cfg_options=None),
    # DONNA's linear accuracy predictor (tools/fit_predictor.py)
    predictor=dict(
        num_archs=24,
        holdout=0.3,
        alpha=1e-3,
        seed=0,
        source='finetune',
        finetune=dict(),
        metric=None),
)

#: Sub-sections merged key by key over their defaults.
_MERGED = ('teacher_check', 'bkd', 'search', 'rerank', 'finetune', 'predictor')
#: Sub-sections with a ``type``: merged over the default of the same type,
#: replaced by another type.
_TYPED = ('surrogate', 'filter')

#: Validation metric of a teacher's evaluator type (``finetune.metric``).
METRIC_OF_EVALUATOR = {
    'Accuracy': 'accuracy/top1',
    'CocoMetric': 'coco/bbox_mAP',
    'PSNR': 'PSNR',
}


def _plain(value: Any) -> Any:
    """ConfigDicts (and their nested values) as plain dicts/lists."""
    if hasattr(value, 'to_dict'):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def is_donna_config(cfg: Config) -> bool:
    """Whether ``cfg`` has a ``donna`` section."""
    return cfg.get('donna') is not None


def donna_settings(cfg: Config) -> dict:
    """The ``donna`` section merged over :data:`DEFAULTS`, blocks resolved
    to ``dict(path, options, weight_sharing)`` (option sets by name looked
    up), validated.

    Raises:
        DonnaConfigError: no section, unknown keys, no blocks, an unknown
            option set; one line naming the key.
    """
    if not is_donna_config(cfg):
        raise DonnaConfigError(
            'the config has no donna section: add donna = dict(blocks=[...], '
            "options='mbconv', ...) over your mm config (see README, Usage)")
    user = _plain(cfg.donna)
    out = copy.deepcopy(DEFAULTS)
    _check_keys(user, DEFAULTS, 'donna')
    for key, value in user.items():
        if key in _MERGED + _TYPED and value is None:
            continue  # the defaults
        if key in _MERGED:
            _check_keys(value, DEFAULTS[key], f'donna.{key}')
            out[key].update(copy.deepcopy(value))
        elif key in _TYPED:
            if not isinstance(value, dict):
                raise DonnaConfigError(f'donna.{key} must be a dict with a '
                                       f'type, got {value!r}')
            default = DEFAULTS[key]
            if value.get('type', default['type']) == default['type']:
                out[key] = dict(default, **copy.deepcopy(value))
            else:
                out[key] = copy.deepcopy(value)
        else:
            out[key] = copy.deepcopy(value)
    out['blocks'] = _blocks(out['blocks'], out['options'])
    out['latency'] = _latency(out['latency'])
    out['component'] = _component(out['component'], out['blocks'])
    bkd = out['bkd']
    if bkd['epochs'] is not None and bkd['iters'] is not None:
        raise DonnaConfigError('donna.bkd sets both epochs and iters; keep '
                               'one')
    n = bkd['bn_calib_batches']
    if not isinstance(n, int) or n < 0:
        raise DonnaConfigError(f'donna.bkd.bn_calib_batches={n!r} must be '
                               f'an integer >= 0')
    return out


def _check_keys(value: Any, allowed: dict, key: str) -> None:
    if not isinstance(value, dict):
        raise DonnaConfigError(f'{key} must be a dict, got {value!r}')
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise DonnaConfigError(f'{key} has unknown key(s) {unknown}; '
                               f'allowed: {sorted(allowed)}')


def _blocks(blocks: Any, options: Any) -> List[dict]:
    if not blocks or not isinstance(blocks, (list, tuple)):
        raise DonnaConfigError(
            f'donna.blocks must list the cut points (module paths of the '
            f"teacher, e.g. ['backbone.layer2']), got {blocks!r}")
    out = []
    for i, b in enumerate(blocks):
        key = f'donna.blocks[{i}]'
        b = dict(path=b) if isinstance(b, str) else dict(b)
        _check_keys(b, dict(path=0, options=0, weight_sharing=0), key)
        if not isinstance(b.get('path'), str):
            raise DonnaConfigError(f'{key} has no path (a module path of the '
                                   f"teacher, e.g. 'backbone.layer2')")
        opts = b.get('options', options)
        if opts is None:
            raise DonnaConfigError(
                f'{key} ({b["path"]}) has no options and donna.options is '
                f"not set; e.g. donna.options='mbconv'")
        try:
            b['options'] = option_set(opts, f'{key}.options')
        except SearchSpaceError as e:
            raise DonnaConfigError(str(e)) from None
        out.append(b)
    return out


def _component(component: Any, blocks: List[dict]) -> Any:
    """``donna.component`` checked: a top-level module name, or a list of
    them; None gives the components of the cut points, in their order
    (each cut point must lie inside one: ``backbone.layer3``, not
    ``backbone``). One component is returned as its name, several as a
    list."""
    if component is None:
        names = []
        for i, b in enumerate(blocks):
            if '.' not in b['path']:
                raise DonnaConfigError(
                    f"donna.blocks[{i}].path={b['path']!r} is a whole "
                    f'component of the model: exported subnets replace the '
                    f'components holding cut points, cut inside one (e.g. '
                    f"'{b['path']}.<child>') or set donna.component")
            head = b['path'].split('.', 1)[0]
            if head not in names:
                names.append(head)
    else:
        names = [component] if isinstance(component, str) else component
        if (not isinstance(names, (list, tuple)) or not names or not all(
                isinstance(n, str) and n and '.' not in n for n in names)):
            raise DonnaConfigError(
                f'donna.component={component!r} must be a top-level module '
                f"name or a list of them, e.g. 'backbone' or "
                f"['backbone', 'neck']")
        names = list(dict.fromkeys(names))
    return names[0] if len(names) == 1 else names


def _latency(latency: Optional[dict]) -> Optional[dict]:
    """A target without ``type`` or ``backend`` is the default target
    (:data:`mmdonna.latency.DEFAULT_LATENCY`) with these changes, e.g.
    ``dict(warmup=3, repeats=10)`` for slow blocks."""
    if not latency or not latency.get('targets'):
        return latency
    latency = copy.deepcopy(latency)
    default = DEFAULT_LATENCY['targets'][0]
    latency['targets'] = [
        t if ('type' in t or 'backend' in t) else dict(default, **t)
        for t in latency['targets']
    ]
    return latency


def teacher_config(cfg: Config) -> Config:
    """The user's mm config: ``cfg`` without its ``donna`` section (a
    copy; ``cfg`` is left untouched)."""
    d = copy.deepcopy(cfg._cfg_dict.to_dict())
    d.pop('donna', None)
    return Config(d, filename=cfg.filename)


def by_epoch(train_cfg: Optional[dict]) -> bool:
    """Whether a ``train_cfg`` trains by epochs (mmengine's two loops)."""
    train_cfg = dict(train_cfg or {})
    kind = str(train_cfg.get('type', ''))
    if 'IterBased' in kind:
        return False
    if 'EpochBased' in kind:
        return True
    return bool(train_cfg.get('by_epoch', True))


def schedule(epochs: Optional[int], iters: Optional[int],
             default_by_epoch: bool) -> tuple:
    """``(by_epoch, length)`` of a shorthand schedule: the given epochs or
    iterations, else 5 epochs / 5000 iterations."""
    if epochs is not None:
        return True, int(epochs)
    if iters is not None:
        return False, int(iters)
    return (True, 5) if default_by_epoch else (False, 5000)


def loop_and_scheduler(by_ep: bool, length: int) -> tuple:
    """A train loop of ``length`` epochs/iterations validating once at the
    end, and a cosine decay over it."""
    if by_ep:
        loop = dict(
            type='EpochBasedTrainLoop', max_epochs=length, val_interval=length)
    else:
        loop = dict(
            type='IterBasedTrainLoop', max_iters=length, val_interval=length)
    sched = dict(type='CosineAnnealingLR', by_epoch=by_ep, T_max=length)
    return loop, sched


def supernet_model(cfg: Config,
                   teacher_checkpoint: Optional[str] = None,
                   settings: Optional[dict] = None) -> dict:
    """The ``mmdonna.DonnaSupernet`` model config over the user's model."""
    s = settings or donna_settings(cfg)
    bkd = s['bkd']
    model = dict(
        type='mmdonna.DonnaSupernet',
        teacher=_plain(cfg.model),
        teacher_checkpoint=teacher_checkpoint,
        input_shape=tuple(s['input_shape']),
        blocks=copy.deepcopy(s['blocks']),
        component=s['component'],
        train_options=bkd['train_options'],
        num_sampled=bkd['num_sampled'],
        seed=bkd['seed'],
        loss_weight=bkd['loss_weight'],
        nsr_form=bkd['nsr_form'],
        teacher_option=bkd['teacher_option'])
    if cfg.get('data_preprocessor') is not None:
        model['data_preprocessor'] = _plain(cfg.data_preprocessor)
    return model


def bkd_config(cfg: Config,
               teacher_checkpoint: Optional[str] = None,
               settings: Optional[dict] = None) -> Config:
    """The BKD run of a ``donna`` config, a runnable mm config.

    The user's config with: the supernet as ``model``; no validation or test
    loop (the held-out data is scored into ``block_library.json`` by
    ``mmdonna.BlockLibraryHook`` when training ends, written next to the
    ``bkd/`` work dir); ``donna.bkd``'s schedule (Adam, cosine decay), a
    checkpoint hook that keeps the last checkpoint (resume after a kill);
    DDP with ``find_unused_parameters`` (options are sampled per step). The
    user's custom hooks belong to the teacher's training and are dropped.
    """
    s = settings or donna_settings(cfg)
    bkd = s['bkd']
    d = copy.deepcopy(teacher_config(cfg)._cfg_dict.to_dict())
    by_ep, length = schedule(bkd['epochs'], bkd['iters'],
                             by_epoch(d.get('train_cfg')))
    loop, sched = loop_and_scheduler(by_ep, length)
    loop.pop('val_interval')
    d['model'] = supernet_model(cfg, teacher_checkpoint, s)
    d['train_cfg'] = loop
    d['param_scheduler'] = sched
    d['optim_wrapper'] = copy.deepcopy(bkd['optim_wrapper']) or dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=bkd['lr'], weight_decay=0))
    library_loader = _merged(
        d.get('val_dataloader'), bkd['library_dataloader'])
    if not library_loader:
        raise DonnaConfigError(
            'the block library needs held-out data: the config has no '
            'val_dataloader; set donna.bkd.library_dataloader')
    for k in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader',
              'test_cfg', 'test_evaluator'):
        d[k] = None
    d['custom_hooks'] = [
        dict(
            type='mmdonna.BlockLibraryHook',
            dataloader=copy.deepcopy(library_loader),
            out_file='../block_library.json',
            max_batches=bkd['library_batches'],
            bn_calib_batches=bkd['bn_calib_batches'])
    ]
    interval = bkd['checkpoint_interval'] or (1 if by_ep else max(
        1, length // 5))
    hooks = dict(d.get('default_hooks') or {})
    hooks['checkpoint'] = dict(
        type='CheckpointHook',
        by_epoch=by_ep,
        interval=interval,
        max_keep_ckpts=1)
    d['default_hooks'] = hooks
    d['log_processor'] = dict(d.get('log_processor') or {}, by_epoch=by_ep)
    d['model_wrapper_cfg'] = dict(
        type='MMDistributedDataParallel', find_unused_parameters=True)
    d['train_dataloader'] = _merged(
        d.get('train_dataloader'), bkd['train_dataloader'])
    return Config(d, filename=cfg.filename)


def _merged(base: Optional[dict], change: Optional[dict]) -> Optional[dict]:
    """``change`` merged into ``base`` as mmengine merges configs
    (``_delete_=True`` replaces)."""
    if not change:
        return copy.deepcopy(base)
    out = Config(dict(x=copy.deepcopy(base or {})))
    out.merge_from_dict(dict(x=copy.deepcopy(change)))
    return out.x.to_dict()


def finetune_metric(cfg: Config, settings: Optional[dict] = None) -> str:
    """``donna.finetune.metric``, else the first metric of the teacher's
    ``val_evaluator`` that :data:`METRIC_OF_EVALUATOR` knows.

    Raises:
        DonnaConfigError: none known.
    """
    s = settings or donna_settings(cfg)
    if s['finetune']['metric']:
        return s['finetune']['metric']
    evaluator = _plain(cfg.get('val_evaluator'))
    metrics = evaluator if isinstance(evaluator, list) else [evaluator]
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        metrics = evaluator['metrics']
        metrics = metrics if isinstance(metrics, list) else [metrics]
    for m in metrics:
        kind = str((m or {}).get('type', '')).split('.')[-1]
        if kind in METRIC_OF_EVALUATOR:
            return METRIC_OF_EVALUATOR[kind]
    raise DonnaConfigError(
        f'donna.finetune.metric is not set and the val_evaluator '
        f'({[(m or {}).get("type") for m in metrics]}) is none of '
        f'{sorted(METRIC_OF_EVALUATOR)}; name the validation metric, e.g. '
        f"donna.finetune.metric='coco/bbox_mAP'")


def finetune_overrides(cfg: Config, settings: Optional[dict] = None) -> dict:
    """What an exported subnet's config changes in the teacher's: a dict of
    :data:`FINETUNE_KEYS` plus ``distill`` (None: the model's default).

    ``epochs`` / ``iters`` set a loop validating at its end and a cosine
    decay; ``lr`` changes the teacher optimizer's rate; ``train_cfg``,
    ``optim_wrapper``, ... replace the teacher's keys; ``train_dataloader``
    is merged into the teacher's; no key keeps the teacher's recipe.
    """
    s = settings or donna_settings(cfg)
    ft = s['finetune']
    out = {}
    if ft['epochs'] is not None or ft['iters'] is not None:
        if ft['epochs'] is not None and ft['iters'] is not None:
            raise DonnaConfigError('donna.finetune sets both epochs and '
                                   'iters; keep one')
        by_ep, length = schedule(ft['epochs'], ft['iters'], True)
        out['train_cfg'], out['param_scheduler'] = loop_and_scheduler(
            by_ep, length)
    if ft['lr'] is not None:
        optim = _plain(cfg.get('optim_wrapper')) or dict(
            type='OptimWrapper', optimizer=dict(type='AdamW'))
        optim = copy.deepcopy(optim)
        optim.setdefault('optimizer', {})['lr'] = float(ft['lr'])
        out['optim_wrapper'] = optim
    for k in FINETUNE_KEYS:
        if ft[k] is not None:
            out[k] = copy.deepcopy(ft[k])
    if 'train_dataloader' in out:
        out['train_dataloader'] = _merged(
            _plain(cfg.get('train_dataloader')), out['train_dataloader'])
    out['distill'] = copy.deepcopy(ft['distill'])
    return out


def latency_config(cfg: Config, settings: Optional[dict] = None) -> Config:
    """The user's config with the supernet as ``model`` (no weights: they
    do not change latency) and ``donna.latency`` as ``latency``: what
    ``tools/measure_latency.py`` measures."""
    s = settings or donna_settings(cfg)
    out = teacher_config(cfg)
    out.model = supernet_model(cfg, None, s)
    out.latency = copy.deepcopy(s['latency'])
    return out


def search_settings(cfg: Config, settings: Optional[dict] = None) -> dict:
    """The search stage's settings: ``latency``, ``surrogate``, ``filter``,
    ``search`` of the ``donna`` section."""
    s = settings or donna_settings(cfg)
    return {
        k: copy.deepcopy(s[k])
        for k in ('latency', 'surrogate', 'filter', 'search')
    }
