"""Pure steps of the search stage, shared by the loop and the pipeline."""
import re
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from .arch_objectives import ArchObjectives
from .arch_problem import ArchProblem

CONSTRAINT_KEYS = {
    'latency_ms': 'latency',
    'params': 'params',
    'flops': 'flops'
}


def target_limits(constraints: Optional[dict], target: str) -> dict:
    """``constraints`` of the config -> ``{cost name: bound}`` for one
    target. ``latency_ms`` may be one number or ``{target_id: ms}``.

    Raises:
        ValueError: unknown keys.
    """
    constraints = dict(constraints or {})
    unknown = set(constraints) - set(CONSTRAINT_KEYS)
    if unknown:
        raise ValueError(f'search constraints has unknown keys '
                         f'{sorted(unknown)}; use {sorted(CONSTRAINT_KEYS)}')
    out = {}
    for key, name in CONSTRAINT_KEYS.items():
        v = constraints.get(key)
        if isinstance(v, dict):
            v = v.get(target)
        if v is not None:
            out[name] = float(v)
    return out


def build_problem(
        library,
        latency: Tuple[Sequence[np.ndarray], float],
        kept: Sequence[Sequence[int]],
        surrogate,
        fixed: Dict[str, float],
        limits: Optional[dict] = None) -> Tuple[ArchObjectives, ArchProblem]:
    """Objectives (surrogate, LUT latency; params/FLOPs as the network's
    fixed part plus the chosen blocks) and the pymoo problem of one target.

    Args:
        library (BlockLibrary): Block library (params/FLOPs tables).
        latency (tuple): Per-block latency tables and the constant offset.
        kept (Sequence[Sequence[int]]): Kept options per block.
        surrogate: A set-up surrogate.
        fixed (dict): ``params`` / ``flops`` of the network outside the
            searched blocks.
        limits (dict, optional): Bounds, see :func:`target_limits`.
            Defaults to None.
    """
    costs = dict(latency=(list(latency[0]), float(latency[1])))
    for k in ('params', 'flops'):
        costs[k] = (library.field_table(k), float(fixed.get(k, 0.0)))
    objectives = ArchObjectives(surrogate, costs, limits)
    problem = ArchProblem(kept, objectives, n_constr=objectives.n_constr)
    return objectives, problem


def safe_name(text: str) -> str:
    """``text`` usable in a file name."""
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', text).strip('_') or 'target'


def front_entries(target: str, codes: np.ndarray, objectives: ArchObjectives,
                  space) -> list:
    """``pareto.json`` entries (without measurements), fastest first."""
    codes = np.asarray(codes, dtype=int).reshape(-1, space.num_blocks)
    if not len(codes):
        return []
    F, _ = objectives(codes)
    params = objectives.cost('params', codes)
    flops = objectives.cost('flops', codes)
    order = np.argsort(F[:, 1], kind='stable')
    out = []
    for k, i in enumerate(order):
        code = [int(c) for c in codes[i]]
        out.append(
            dict(
                name=f'{safe_name(target)}_arch{k:02d}',
                code=code,
                arch=space.decode(code),
                surrogate=float(F[i, 0]),
                latency_lut_ms=float(F[i, 1]),
                latency_measured_ms=None,
                params=int(round(params[i])),
                flops=int(round(flops[i]))))
    return out


def random_samples(space,
                   objectives: ArchObjectives,
                   num: int,
                   seed: int = 0) -> Dict[str, list]:
    """Surrogate and LUT latency of ``num`` uniformly random architectures
    of the full space (the cloud behind the front in ``pareto.png``)."""
    rng = np.random.default_rng(seed)
    codes = np.stack([rng.integers(0, n, num) for n in space.num_options], 1)
    F, _ = objectives(codes)
    return dict(surrogate=F[:, 0].tolist(), latency=F[:, 1].tolist())


def measured_value(result: Optional[dict],
                   key: str = 'mean_ms') -> Union[float, None]:
    """A measurement's figure, or None when it failed."""
    if not result or not result.get('ok'):
        return None
    v = result.get(key)
    return None if v is None else float(v)


def teacher_code(space) -> Optional[Tuple[int, ...]]:
    """The architecture that keeps every teacher block (the teacher option
    of every block), or None when some block lacks it."""
    from mmdonna.search_space import is_teacher_option
    code = []
    for b in space.blocks:
        idx = [i for i, o in enumerate(b.options) if is_teacher_option(o)]
        if not idx:
            return None
        code.append(idx[0])
    return tuple(code)


def teacher_surrogate(surrogate, space) -> Optional[float]:
    """The surrogate's value of the teacher: of its code when the space
    holds it, else what the surrogate says of NSR 0 everywhere."""
    code = teacher_code(space)
    if code is not None:
        return float(surrogate.predict_batch(np.array([code]))[0])
    value = surrogate.teacher_value()
    return None if value is None else float(value)
