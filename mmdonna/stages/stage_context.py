"""What the stages of one ``donna`` config in one work dir share."""
import copy
import os.path as osp
import time
from typing import Callable, List, Optional, Tuple

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_checkpoint

from .derive import (donna_settings, finetune_metric, supernet_model,
                     teacher_config)
from .errors import StageError

Row = Tuple[str, str, str]


class StageContext:
    """The config, work dir and launcher of a run, the settings derived
    from its ``donna`` section, what earlier stages produced, and the
    ``(stage, status, detail)`` rows so far.

    Args:
        cfg (Config): The user's mm config with its ``donna`` section (a
            copy is kept).
        work_dir (str): Work dir of every stage.
        launcher (str): MMEngine launcher. Defaults to 'none'.
        verbose (bool): The Runners' full logs on the console.
            Defaults to False.
        only (str, optional): The one stage that may do work; earlier stages
            only find their artefacts (a missing one is a
            :class:`StageError` naming the stage to run). Defaults to None
            (every stage runs what is missing).
        resume_from (str, optional): Checkpoint to resume BKD from.
            Defaults to None (the latest in ``<work_dir>/bkd``).
        on_row (Callable, optional): Called with every row as its stage
            ends (the tools print it). Defaults to None.
        logger (str): mmengine logger of the stages without a Runner.
            Defaults to 'current'.
        settings (dict, optional): Settings to use instead of the config's
            ``donna`` section (:class:`DonnaSearchLoop` under a Runner).
            Defaults to None.
    """

    def __init__(self,
                 cfg: Config,
                 work_dir: str,
                 launcher: str = 'none',
                 verbose: bool = False,
                 only: Optional[str] = None,
                 resume_from: Optional[str] = None,
                 on_row: Optional[Callable[[Row], None]] = None,
                 logger: str = 'current',
                 settings: Optional[dict] = None):
        self.cfg = copy.deepcopy(cfg)
        self.settings = settings or donna_settings(self.cfg)
        self.work_dir = work_dir
        self.launcher = launcher
        self.verbose = verbose
        self.only = only
        self.resume_from = resume_from
        self.on_row = on_row
        self.logger = logger
        self.rows: List[Row] = []
        # filled by the stages
        self.teacher_checkpoint: Optional[str] = None
        self.bkd_checkpoint: Optional[str] = None
        self.bkd_hash: Optional[str] = None  # the BKD run's identity
        self.supernet = None
        self.library = None
        self.latency = None
        self.search = None  # filter / surrogate / problems of every target
        self.pareto: Optional[dict] = None
        self.finetune_table = ''

    # ---- derived -------------------------------------------------------
    @property
    def teacher_cfg(self) -> Config:
        """The user's mm config (without ``donna``)."""
        return teacher_config(self.cfg)

    @property
    def metric(self) -> str:
        """The validation metric of the teacher check and finetuning."""
        return finetune_metric(self.cfg, self.settings)

    def path(self, *names: str) -> str:
        return osp.join(self.work_dir, *names)

    # ---- bookkeeping -----------------------------------------------------
    def row(self,
            stage: str,
            status: str,
            detail: str,
            t0: Optional[float] = None) -> Row:
        """Record (and report) a stage's row; ``t0`` adds its time."""
        if t0 is not None:
            detail = f'{detail} ({time.time() - t0:.1f} s)'
        r = (stage, status, detail)
        self.rows.append(r)
        if self.on_row is not None:
            self.on_row(r)
        return r

    def may_run(self, stage: str, missing: str) -> None:
        """Refuse work in ``stage`` when another one was asked for alone.

        Raises:
            StageError: naming the missing artefact and the stage to run.
        """
        if self.only is not None and self.only != stage:
            raise StageError(f'{missing} is missing or out of date: run '
                             f'--stage {stage} first (or no --stage)')

    # ---- the supernet with BKD weights ------------------------------------
    def build_supernet(self, bkd_weights: bool = True):
        """The supernet over the teacher (weights of
        ``teacher_checkpoint``), with the BKD weights when asked; kept."""
        if self.supernet is not None:
            return self.supernet
        from mmdonna.registry import MODELS
        init_default_scope(self.cfg.get('default_scope', 'mmengine'))
        model = MODELS.build(
            supernet_model(self.cfg, self.teacher_checkpoint, self.settings))
        if bkd_weights:
            if not self.bkd_checkpoint:
                raise StageError('the supernet has no BKD weights: run the '
                                 'bkd stage first')
            load_checkpoint(
                model,
                self.bkd_checkpoint,
                map_location='cpu',
                logger='silent')
        self.supernet = model.eval()
        return self.supernet
