"""Latency tables of every target (the LUTs of ``mmdonna.latency``) and the
teacher's cost, as the search consumes them."""
import copy
import os
import os.path as osp
from typing import Callable, Dict, Optional

import numpy as np
from mmengine.logging import print_log

from mmdonna.latency import (LatencyConfigError, LatencyLUT, build_targets,
                             latency_settings, lut_path)
from mmdonna.library import module_cost
from mmdonna.supernet.arch_model import TensorForward
from mmdonna.utils.io import ArtifactError


def target_latency(
        latency: Optional[dict],
        work_dir: str,
        model,
        logger: str = 'current',
        before_build: Optional[Callable[[str],
                                        None]] = None) -> Dict[str, dict]:
    """Load (or build / finish) the LUT of every ``latency.targets`` entry.

    A LUT is reused when every entry has ``latency.passes`` successful
    passes; otherwise the missing passes and the failed entries are
    measured (a failed one up to ``latency.tries`` times).

    Args:
        latency (dict, optional): The ``latency`` settings (over
            :data:`mmdonna.latency.DEFAULT_LATENCY`).
        work_dir (str): Where the LUT files live.
        model (DonnaSupernet): Gives the teacher, the space and the input
            shape.
        logger (str): mmengine logger name. Defaults to 'current'.
        before_build (Callable, optional): Called with the LUT's path before
            one is built or finished (it may raise to refuse).
            Defaults to None.

    Returns:
        dict: ``{target_id: dict(tables, offset, teacher (per-block teacher
        latency on the LUT's scale), teacher_ms, estimator, meta, lut_file,
        reused)}``.

    Raises:
        LatencyConfigError: entries that still fail after
            ``latency.tries`` (the table keeps the others; a rerun measures
            only these).
    """
    settings = latency_settings(copy.deepcopy(latency))
    out = {}
    for est in build_targets(settings):
        path = lut_path(settings, work_dir, est.target_id)
        reused = False
        try:
            lut = LatencyLUT.load(path, model.space, est.target_id,
                                  est.backend, settings['metric'])
            reused = (
                lut.is_complete(settings['passes']) and len(
                    lut.data['calibration']['codes']) == settings['calibrate']
                and tuple(lut.input_shape) == (1, *model.input_shape))
        except (ArtifactError, FileNotFoundError):
            pass
        if not reused:
            if before_build is not None:
                before_build(path)
            print_log(f'latency LUT for {est.target_id!r} -> {path}', logger)
            lut = LatencyLUT.build(
                model.teacher,
                model.space,
                est, (1, *model.input_shape),
                out_file=path,
                metric=settings['metric'],
                calibrate=settings['calibrate'],
                seed=settings['seed'],
                passes=settings['passes'],
                tries=settings['tries'],
                progress=False)
        _refuse_failures(lut, settings, path)
        tables, offset = lut.tables()
        teacher_blocks = []
        for b in lut.data['blocks']:
            r = b['teacher']
            ok = r and r.get('ok')
            teacher_blocks.append(lut.scale *
                                  float(r[lut.metric]) if ok else float('inf'))
        out[est.target_id] = dict(
            tables=tables,
            offset=float(offset),
            teacher=np.array(teacher_blocks),
            teacher_ms=lut.teacher_ms,
            estimator=est,
            # the file relative to the work dir: a moved one keeps its front
            meta=dict(
                est.meta(),
                metric=lut.metric,
                lut_file=osp.relpath(path, work_dir).replace(os.sep, '/')),
            metric=lut.metric,
            lut_file=path,
            reused=reused)
    return out


def _refuse_failures(lut: LatencyLUT, settings: dict, path: str) -> None:
    """Refuse a LUT with entries that failed ``latency.tries`` times, in one
    line naming the first of them and its error."""
    left = lut.incomplete(settings['passes'])
    if not left:
        return
    where, why = left[0]
    raise LatencyConfigError(
        f'latency LUT {path}: {len(left)} measurement(s) still fail after '
        f'latency.tries={settings["tries"]}, e.g. {lut.describe(where)}: '
        f'{why}; fix the target, drop the option from donna.blocks or raise '
        f'latency.tries (a rerun measures only these)')


def teacher_cost(model, library) -> Dict[str, dict]:
    """Params and FLOPs of the whole teacher and of its part outside the
    cut blocks (the constant that whole-network params/FLOPs of an
    architecture add to its blocks').

    Returns:
        dict: ``teacher`` and ``rest``, each ``dict(params, flops)``.
    """
    whole = module_cost(TensorForward(model.teacher), model.input_shape)
    rest = {
        k: float(whole[k] - library.teacher_field(k).sum())
        for k in ('params', 'flops')
    }
    return dict(teacher=whole, rest=rest)
