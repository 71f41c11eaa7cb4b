"""Config loading that also accepts ``package::path`` (configs shipped by
mmpretrain / mmdet / mmagic), and the config of a validation-only run."""
import copy
from typing import Optional

from mmengine.config import Config


def load_config(path: str) -> Config:
    """``Config.fromfile`` for files, ``mmengine.hub.get_config`` for
    ``'mmpretrain::mobilenet_v2/...py'``-style paths."""
    if '::' in path:
        from mmengine.hub import get_config
        return get_config(path)
    return Config.fromfile(path)


def validation_config(cfg: Config,
                      work_dir: str,
                      load_from: Optional[str],
                      name: str,
                      launcher: Optional[str] = None) -> Config:
    """A copy of ``cfg`` for ``Runner.val()`` with the weights of
    ``load_from`` in ``work_dir``. Its checkpoint hook is dropped: a
    validation-only run has no training state to save, and a hook with
    ``save_best`` would try to (and crash).

    Args:
        cfg (Config): Model/data config (left untouched).
        work_dir (str): Work dir of the run.
        load_from (str, optional): Weights; None keeps the model's own
            initialisation.
        name (str): Experiment name.
        launcher (str, optional): MMEngine launcher; None keeps the
            config's. Defaults to None.
    """
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.load_from = load_from
    cfg.resume = False
    cfg.experiment_name = name
    if launcher is not None:
        cfg.launcher = launcher
    cfg.setdefault('default_hooks', {})['checkpoint'] = None
    return cfg
