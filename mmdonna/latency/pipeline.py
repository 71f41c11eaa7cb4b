"""What tools/measure_latency.py does, as package functions."""
import copy
import os.path as osp
from typing import Optional, Tuple

from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import nn

from mmdonna.search_space import SearchSpace
from mmdonna.supernet.latency_forward import LatencyForward
from .errors import LatencyConfigError
from .latency_config import (build_targets, latency_settings, lut_path,
                             select_target)
from .latency_lut import LatencyLUT


def teacher_and_space(
        cfg: Config
) -> Tuple[nn.Module, Optional[SearchSpace], Tuple[int, ...]]:
    """The network to time, its search space and its input shape.

    A ``DonnaSupernet`` config gives its teacher, the search space with block
    shapes and ``model.input_shape``; the teacher checkpoint is not loaded
    (weights do not change latency). Any other model config gives the model
    itself, no space, and ``latency.input_shape`` (default (3, 224, 224)).
    """
    from mmdonna.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmdonna'))
    model_cfg = copy.deepcopy(cfg.model)
    settings = latency_settings(cfg.get('latency'))
    if str(model_cfg.get('type', '')).endswith('DonnaSupernet'):
        model_cfg['teacher_checkpoint'] = None
        supernet = MODELS.build(model_cfg)
        shape = tuple(supernet.input_shape)
        if settings['input_shape'] is not None:
            shape = tuple(settings['input_shape'])
            if shape != tuple(supernet.input_shape):
                raise LatencyConfigError(
                    f'latency.input_shape={list(shape)} differs from '
                    f'model.input_shape={list(supernet.input_shape)} (the '
                    f'block shapes come from it); set model.input_shape')
        return supernet.teacher.eval(), supernet.space, shape
    model = MODELS.build(model_cfg).eval()
    shape = tuple(settings['input_shape'] or (3, 224, 224))
    return model, None, shape


def run_measure_latency(cfg: Config,
                        work_dir: str,
                        target: Optional[str] = None,
                        lut: bool = False,
                        validate: int = 0,
                        progress: bool = True) -> dict:
    """Measure the whole model, or build (resume) the LUT and validate it.

    Args:
        cfg (Config): The experiment config (``model``, optional ``latency``).
        work_dir (str): Where ``latency.lut_file`` and the validation state
            (``<lut name>_validation.json``) are written.
        target (str, optional): Target id, backend or index in
            ``latency.targets``. Defaults to None (the first).
        lut (bool): Build or finish the LUT. Defaults to False.
        validate (int): Measure this many random whole architectures against
            the LUT (builds/finishes it first; with ``latency.passes > 1`` the
            LUT and validation passes alternate). Defaults to 0.
        progress (bool): Progress bars. Defaults to True.

    Returns:
        dict: ``teacher`` (whole-model measurement) or ``lut`` (path,
        summary) and ``validation`` (see :meth:`LatencyLUT.validate`).
    """
    settings = latency_settings(cfg.get('latency'))
    estimator = select_target(build_targets(settings), target)
    teacher, space, shape = teacher_and_space(cfg)
    input_shape = (1, ) + tuple(shape)
    out = dict(target_id=estimator.target_id, backend=estimator.backend)
    if not lut and not validate:
        whole = LatencyForward(teacher)
        out['teacher'] = estimator.measure(whole, input_shape)
        out['scope'] = whole.scope
        out['input_shape'] = list(input_shape)
        return out
    if space is None:
        raise LatencyConfigError(
            'a LUT needs a search space: use a config with a donna section, '
            'e.g. configs/classification/mobilenetv2_digits_search.py')
    path = lut_path(settings, work_dir, estimator.target_id)
    # with several passes the LUT and the validation sweeps alternate, so
    # both sample the same periods of the machine's speed
    for p in range(1, settings['passes'] + 1):
        table = LatencyLUT.build(
            teacher,
            space,
            estimator,
            input_shape,
            out_file=path,
            metric=settings['metric'],
            calibrate=settings['calibrate'],
            seed=settings['seed'],
            passes=p,
            tries=settings['tries'],
            progress=progress)
        if validate:
            out['validation'] = table.validate(
                teacher,
                space,
                estimator,
                k=validate,
                seed=settings['seed'] + 1,
                passes=p,
                out_file=osp.splitext(path)[0] + '_validation.json',
                progress=progress)
    out['lut'] = dict(
        path=path,
        metric=table.metric,
        fixed_ms=table.fixed_ms,
        offset=table.offset,
        scale=table.scale,
        calibration=table.calibration,
        teacher_ms=table.teacher_ms)
    return out


def _ms(r: dict) -> str:
    if not r.get('ok'):
        return f'FAILED ({r.get("error")})'
    return (f'median {r["median_ms"]:.4f} ms, min {r["min_ms"]:.4f} ms, '
            f'mean {r["mean_ms"]:.4f} ms, cv {r["cv"]:.3f}, '
            f'{r["repeats"]} runs')


def format_latency_report(result: dict) -> str:
    """Human-readable summary of :func:`run_measure_latency`'s result."""
    lines = [f'target {result["target_id"]} ({result["backend"]})']
    if 'teacher' in result:
        lines.append(f'whole model, input {result["input_shape"]}: '
                     f'{_ms(result["teacher"])}')
    if 'lut' in result:
        t = result['lut']
        lines.append(f'LUT {t["path"]} (metric {t["metric"]}): teacher '
                     f'{t["teacher_ms"]:.4f} ms, fixed part '
                     f'{t["fixed_ms"]:.4f} ms, prediction = '
                     f'{t["offset"]:.4f} + {t["scale"]:.4f} * sum(options)')
    if 'validation' in result:
        v = result['validation']
        lines.append('  code | predicted ms | uncalibrated ms | measured ms '
                     '| abs % error')
        for a in v['archs']:
            err = (f'{a["abs_pct_error"]:.2f}'
                   if a['abs_pct_error'] is not None else 'n/a')
            lines.append(f'  {a["code"]} | {a["predicted_ms"]:.4f} | '
                         f'{a["uncalibrated_ms"]:.4f} | '
                         f'{a["measured_ms"]:.4f} | {err}')
        lines.append(
            f'validation on {v["measured"]} architectures ({v["failed"]} '
            f'failed): mean abs error {v["mean_abs_pct_error"]:.2f} %, max '
            f'{v["max_abs_pct_error"]:.2f} % (uncalibrated: mean '
            f'{v["uncalibrated_mean_abs_pct_error"]:.2f} %, max '
            f'{v["uncalibrated_max_abs_pct_error"]:.2f} %)')
    return '\n'.join(lines)
