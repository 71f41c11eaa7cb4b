"""Every stage of a ``donna`` config, in order, or one of them."""
import contextlib
import os
from typing import Callable, Dict, List, Optional

from mmengine.config import Config

from .bkd import bkd
from .errors import StageError
from .export import export
from .finetune import finetune
from .predictor import predictor
from .quiet_runner import stage_logger, warnings_to_file
from .report import report
from .rerank import rerank
from .search import hil, kd_filter, lut, search
from .stage_context import Row, StageContext
from .teacher import teacher
from .validate import validate_config

#: The pipeline in order: stage name -> function of a StageContext.
STAGES: Dict[str, Callable[[StageContext], object]] = dict(
    teacher=teacher,
    bkd=bkd,
    lut=lut,
    filter=kd_filter,
    search=search,
    hil=hil,
    rerank=rerank,
    export=export,
    finetune=finetune,
    report=report)
#: Other names of stages (``--stage library`` rescores with BKD's run).
ALIASES = dict(library='bkd', latency='lut')
#: Stages run on their own (``--stage predictor``): after bkd.
EXTRA = dict(predictor=predictor)


def stage_names() -> List[str]:
    return list(STAGES) + list(ALIASES) + list(EXTRA)


def run_stages(cfg: Config,
               work_dir: str,
               stage: Optional[str] = None,
               launcher: str = 'none',
               verbose: bool = False,
               resume_from: Optional[str] = None,
               on_row: Optional[Callable[[Row], None]] = None) -> StageContext:
    """Run every missing stage of ``cfg`` (a config with a ``donna``
    section) in ``work_dir``, or only ``stage`` (the stages before it then
    only find their artefacts; ``'predictor'`` runs after the teacher and
    BKD stages, which do what is missing).

    Without ``verbose`` the Runners' logs go to their work dirs only, the
    other stages' to ``<work_dir>/logs/``, and Python warnings to
    ``<work_dir>/logs/warnings.log``: what the console shows is up to
    ``on_row``.

    The whole config is checked first (:func:`validate_config`): a config
    that cannot work fails in one line before anything in ``work_dir`` is
    read or written.

    Args:
        cfg (Config): The config (left untouched).
        work_dir (str): Work dir of every stage.
        stage (str, optional): One stage of :func:`stage_names`.
            Defaults to None (all of :data:`STAGES`).
        launcher (str): MMEngine launcher. Defaults to 'none'.
        verbose (bool): Full logs on the console. Defaults to False.
        resume_from (str, optional): Checkpoint to resume BKD from.
            Defaults to None.
        on_row (Callable, optional): Called with each ``(stage, status,
            detail)`` row as its stage ends. Defaults to None.

    Returns:
        StageContext: Its ``rows``, ``pareto`` and ``finetune_table``.

    Raises:
        StageError: an unknown stage, a config that cannot work
            (:class:`DonnaConfigError`), or a stage that cannot run.
    """
    stage = ALIASES.get(stage, stage)
    if stage is not None and stage not in STAGES and stage not in EXTRA:
        raise StageError(f'--stage {stage!r}: use one of {stage_names()}')
    settings = validate_config(cfg, resume_from)
    os.makedirs(work_dir, exist_ok=True)
    logger = stage_logger(work_dir, verbose)
    ctx = StageContext(
        cfg,
        work_dir,
        launcher,
        verbose,
        # the predictor runs the teacher and BKD first when they are missing
        only=stage if stage in STAGES else None,
        resume_from=resume_from,
        on_row=on_row,
        logger=logger.instance_name,
        settings=settings)
    if stage in EXTRA:
        order = ['teacher', 'bkd']
    elif stage is None:
        order = list(STAGES)
    else:
        order = list(STAGES)[:list(STAGES).index(stage) + 1]
    quiet = contextlib.nullcontext() if verbose else warnings_to_file(work_dir)
    with quiet:
        for name in order:
            STAGES[name](ctx)
        if stage in EXTRA:
            EXTRA[stage](ctx)
    return ctx
