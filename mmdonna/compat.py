"""Compatibility fixes between the pinned versions, in one place.

Each fix is applied once by :func:`apply_compat_fixes`, which ``mmdonna``
calls on import, and each has a test in ``tests/test_compat.py`` that fails
without it.

1. ``torch >= 2.6`` loads checkpoints with ``weights_only=True`` by default.
   MMEngine 0.10.7 checkpoints carry a ``message_hub`` with
   :class:`mmengine.logging.HistoryBuffer` objects and numpy arrays/scalars, so
   ``Runner.resume`` and ``load_checkpoint`` fail with "Weights only load
   failed". We do **not** turn ``weights_only`` off (a checkpoint received from
   elsewhere must not run code when loaded); we allow-list exactly the types
   MMEngine writes with :func:`torch.serialization.add_safe_globals`, and make
   ``HistoryBuffer`` pickle without the default entries of its table of
   statistics functions (which would need ``getattr`` as a global:
   allow-listing that would allow anything). Those functions are registered
   again on load, so nothing is lost, and the checkpoint still loads in plain
   MMEngine (``tests/test_compat.py``). Checkpoints written by plain MMEngine
   carry the table and need ``weights_only=False`` from a trusted source.
2. MMEngine 0.10.7's ``init_dist('pytorch')`` always calls
   ``torch.cuda.set_device``, which raises on a machine without an NVIDIA
   driver even with the gloo backend, and ``Runner.wrap_model`` gives
   ``MMDistributedDataParallel`` ``device_ids=[LOCAL_RANK]``, which torch
   refuses for a CPU module: MMEngine's launcher could not run on CPU.
   Without CUDA we skip that call and drop ``device_ids``.
3. numpy 2 removed ``np.bool8``, which mmagic 1.2.0 uses. The constraints file
   pins ``numpy<2``; the alias below keeps mmagic working if a user's
   environment moved numpy anyway.
4. mmdet 3.3.0's stock SSD/SSDLite detectors cannot predict: the shared
   ``BaseDenseHead._predict_by_feat_single`` reads ``self.loss_cls`` (for
   v3det's custom classifiers), which ``SSDHead`` never sets because it
   computes its loss inline, so validating a stock SSD config fails with
   ``'SSDHead' object has no attribute 'loss_cls'``. Detection is optional
   (a classification user need not import mmdet), so this one is applied by
   ``mmdonna.detection`` on import (the detection configs' custom_imports),
   through :func:`fix_ssd_head_predict`.
"""
import numpy as np
import torch

_APPLIED = False


def mmengine_checkpoint_safe_globals() -> list:
    """Types that MMEngine 0.10.x writes into a checkpoint besides tensors."""
    from mmengine.logging import HistoryBuffer

    safe = [HistoryBuffer, np.ndarray, np.dtype]
    # numpy array / scalar reconstruction helpers (module moved in numpy 2).
    try:
        from numpy.core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 2
        from numpy._core.multiarray import _reconstruct, scalar
    safe += [_reconstruct, scalar]
    # Concrete dtype classes (numpy >= 1.25 pickles np.dtypes.Float64DType).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [
            getattr(dtypes, name) for name in dir(dtypes) if
            name.endswith('DType') and isinstance(getattr(dtypes, name), type)
        ]
    return safe


_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')
_MMENGINE_SETSTATE = None


def _history_buffer_getstate(self) -> dict:
    """MMEngine's state without its default statistics functions (the class
    registers them again on load); a user's own statistics methods are kept
    as MMEngine pickles them. Unlike MMEngine's, it leaves the instance
    untouched."""
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    custom = {
        k: v
        for k, v in self._statistics_methods.items()
        if getattr(type(self), k, None) is not v
    }
    if custom:
        state['statistics_methods'] = custom
    return state


def _history_buffer_setstate(self, state: dict) -> None:
    """MMEngine's ``__setstate__``, plus the default statistics methods when
    no HistoryBuffer was built yet in this process (the class registers them
    in ``__init__``, which unpickling skips)."""
    _MMENGINE_SETSTATE(self, state)
    methods = self._statistics_methods
    for name in _DEFAULT_STATISTICS:
        methods.setdefault(name, getattr(type(self), name))


def _cpu_safe(init_dist_pytorch):

    def wrapped(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return init_dist_pytorch(
                backend, init_backend=init_backend, **kwargs)
        # what mmengine does, minus torch.cuda.set_device
        torch.distributed.init_process_group(backend=backend, **kwargs)

    wrapped.__wrapped__ = init_dist_pytorch
    return wrapped


def _cpu_safe_ddp_init(ddp_init):

    def __init__(self, module, *args, **kwargs):
        if not torch.cuda.is_available():
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        ddp_init(self, module, *args, **kwargs)

    __init__.__wrapped__ = ddp_init
    return __init__


def fix_ssd_head_predict() -> None:
    """Fix 4: give mmdet's ``SSDHead`` the ``loss_cls = None`` class
    attribute the shared prediction code expects (no custom classifier:
    plain softmax scores, as SSD trains them). Idempotent; a no-op where
    mmdet is missing or ``SSDHead`` has the attribute already."""
    try:
        from mmdet.models.dense_heads import SSDHead
    except ImportError:  # detection is optional
        return
    if not hasattr(SSDHead, 'loss_cls'):
        SSDHead.loss_cls = None


def apply_compat_fixes() -> None:
    """Apply every fix once; safe to call repeatedly."""
    global _APPLIED, _MMENGINE_SETSTATE
    if _APPLIED:
        return
    import mmengine.dist.utils as dist_utils
    from mmengine.logging import HistoryBuffer
    from mmengine.model import MMDistributedDataParallel as MMDDP
    dist_utils._init_dist_pytorch = _cpu_safe(dist_utils._init_dist_pytorch)
    MMDDP.__init__ = _cpu_safe_ddp_init(MMDDP.__init__)
    _MMENGINE_SETSTATE = HistoryBuffer.__setstate__
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    HistoryBuffer.__setstate__ = _history_buffer_setstate
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:
        add_safe_globals(mmengine_checkpoint_safe_globals())
    if not hasattr(np, 'bool8'):  # pragma: no cover - numpy 2 only
        np.bool8 = np.bool_
    _APPLIED = True
