"""A quiet console for the stages: every log still goes to its work dir.

A stage's Runner is a :class:`QuietRunner` (unless ``verbose``): MMEngine's
config dump, environment block and training log go to the run's log file in
its work dir, and the console shows errors only. Messages of the stages that
run without a Runner go to ``<work_dir>/logs/donna_<time>.log``
(:func:`stage_logger`); Python warnings (deprecations, FLOP-counter notes)
to ``<work_dir>/logs/warnings.log`` (:func:`warnings_to_file`). The stage
layer prints one line per stage itself.
"""
import contextlib
import copy
import io
import logging
import os
import os.path as osp
import time
from typing import Iterator

from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner


def quiet_console(logger: logging.Logger,
                  level: int = logging.ERROR) -> logging.Logger:
    """Raise the level of ``logger``'s console handlers (its file handlers
    keep theirs)."""
    for h in logger.handlers:
        if isinstance(h, logging.StreamHandler) and not isinstance(
                h, logging.FileHandler):
            h.setLevel(max(h.level, level))
    return logger


class _LogWriter(io.TextIOBase):
    """A text stream whose lines go to a logger at INFO."""

    def __init__(self, logger: logging.Logger):
        self.logger = logger
        self.buffer = ''

    def write(self, text: str) -> int:
        self.buffer += text
        *lines, self.buffer = self.buffer.split('\n')
        for line in lines:
            if line.strip():
                self.logger.info(line)
        return len(text)


class QuietRunner(Runner):
    """:class:`mmengine.runner.Runner` whose console shows errors only; its
    log file (``<work_dir>/<timestamp>/<timestamp>.log``) keeps everything at
    the config's ``log_level``, and what MMEngine prints with ``print``
    while it trains, validates or loads checkpoints ("Loads checkpoint by
    local backend ...")."""

    def build_logger(self, *args, **kwargs) -> MMLogger:
        return quiet_console(super().build_logger(*args, **kwargs))

    def _prints_to_log(self):
        return contextlib.redirect_stdout(_LogWriter(self.logger))

    def train(self):
        with self._prints_to_log():
            return super().train()

    def val(self):
        with self._prints_to_log():
            return super().val()

    def test(self):
        with self._prints_to_log():
            return super().test()

    def load_checkpoint(self, *args, **kwargs):
        with self._prints_to_log():
            return super().load_checkpoint(*args, **kwargs)

    def resume(self, *args, **kwargs):
        with self._prints_to_log():
            return super().resume(*args, **kwargs)


def build_runner(cfg: Config,
                 work_dir: str,
                 name: str,
                 launcher: str = 'none',
                 verbose: bool = False) -> Runner:
    """A Runner of (a copy of) ``cfg`` in ``work_dir``; it resumes from the
    work dir's last checkpoint when ``cfg.resume`` is set and there is one
    (MMEngine prints "Did not find last_checkpoint" otherwise)."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.launcher = launcher
    cfg.experiment_name = name
    if cfg.get('resume') and not cfg.get('load_from') and not osp.exists(
            osp.join(work_dir, 'last_checkpoint')):
        cfg.resume = False
    return (Runner if verbose else QuietRunner).from_cfg(cfg)


def stage_logger(work_dir: str, verbose: bool = False) -> MMLogger:
    """The logger of the stages that run without a Runner (it becomes
    mmengine's current logger): ``<work_dir>/logs/donna_<time>.log``, and
    the console when ``verbose``."""
    stamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    log_dir = osp.join(work_dir, 'logs')
    os.makedirs(log_dir, exist_ok=True)
    name = f'donna_{stamp}_{id(log_dir)}'
    logger = MMLogger.get_instance(
        name, log_file=osp.join(log_dir, f'donna_{stamp}.log'), file_mode='a')
    return logger if verbose else quiet_console(logger)


@contextlib.contextmanager
def warnings_to_file(work_dir: str) -> Iterator[None]:
    """Python warnings go to ``<work_dir>/logs/warnings.log`` instead of the
    console while the block runs."""
    os.makedirs(osp.join(work_dir, 'logs'), exist_ok=True)
    handler = logging.FileHandler(
        osp.join(work_dir, 'logs', 'warnings.log'), mode='a')
    handler.setFormatter(logging.Formatter('%(asctime)s %(message)s'))
    py_warnings = logging.getLogger('py.warnings')
    propagate = py_warnings.propagate
    py_warnings.addHandler(handler)
    py_warnings.propagate = False
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        py_warnings.removeHandler(handler)
        py_warnings.propagate = propagate
        handler.close()
