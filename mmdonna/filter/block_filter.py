"""The KD filter of one block, as a pure function over arrays."""
from typing import Dict, List, Optional, Tuple

import numpy as np

from .pareto import dominance_matrix, pareto_layers


class FilterError(ValueError):
    """A KD-filter setting that would leave a block without options."""


def filter_block(latency: np.ndarray,
                 nsr: np.ndarray,
                 costs: Optional[Dict[str, Tuple[np.ndarray, float,
                                                 float]]] = None,
                 slack: float = 0.0,
                 min_keep: int = 1,
                 block: str = 'block') -> Tuple[List[int], List[dict]]:
    """DONNAv2's KD filter on one block.

    0. Options whose latency is not finite (failed measurement) go.
    1. Cost bound: drop every option whose cost exceeds ``max_ratio`` times
       the teacher block's cost, for each entry
       ``name: (values, teacher, max_ratio)`` of ``costs`` (e.g. latency,
       params, FLOPs).
    2. Dominance: among the rest, drop options dominated in (latency, NSR)
       (see :func:`~mmdonna.filter.pareto.dominance_matrix` for ``slack``).
    3. If fewer than ``min_keep`` options are left, dominated options come
       back, best non-domination layer first, then lowest NSR.

    Args:
        latency (np.ndarray): Latency of every option on the target (ms).
        nsr (np.ndarray): Block-library NSR mean of every option.
        costs (dict, optional): Cost bounds ``{name: (values, teacher_value,
            max_ratio)}``. Defaults to None.
        slack (float): Relative margin of the dominance test.
            Defaults to 0.0.
        min_keep (int): Options kept at least (when the bounds allow).
            Defaults to 1.
        block (str): Block name for error messages. Defaults to 'block'.

    Returns:
        tuple: kept option indices sorted by latency (then NSR), and one
        ``dict(index, reason, ...)`` per removed option.

    Raises:
        FilterError: when a cost bound removes every option of the block.
    """
    latency = np.asarray(latency, dtype=float)
    nsr = np.asarray(nsr, dtype=float)
    if latency.shape != nsr.shape or latency.ndim != 1:
        raise ValueError(f'block {block!r}: latency {latency.shape} and NSR '
                         f'{nsr.shape} must be 1-D arrays of one length')
    if min_keep < 1:
        raise ValueError(f'kd_filter.min_keep={min_keep} must be >= 1')
    removed = {}
    within = np.isfinite(latency)
    if not within.any():
        raise FilterError(
            f'no option of block {block!r} has a latency (every measurement '
            f'failed); check the latency LUT of this target')
    for i in np.flatnonzero(~within):
        removed[int(i)] = dict(index=int(i), reason='not_measured')
    for name, (values, teacher, max_ratio) in (costs or {}).items():
        values = np.asarray(values, dtype=float)
        if not teacher > 0 or not np.isfinite(teacher):
            raise FilterError(
                f'kd_filter.max_cost_ratio.{name}: the teacher block '
                f'{block!r} has {name}={teacher}, no ratio can be formed; '
                f'remove this bound')
        ratio = values / teacher
        over = ratio > max_ratio
        if (over | ~within).all():
            raise FilterError(
                f'kd_filter.max_cost_ratio.{name}={max_ratio} removes every '
                f'option of block {block!r} (the cheapest is '
                f'{ratio[within].min():.2f}x the teacher block); raise it or '
                f'drop the bound')
        for i in np.flatnonzero(over & within):
            removed[int(i)] = dict(
                index=int(i),
                reason='cost_bound',
                cost=name,
                ratio=float(ratio[i]),
                max_ratio=float(max_ratio))
        within &= ~over
    idx = np.flatnonzero(within)
    F = np.stack([latency[idx], nsr[idx]], 1)
    D = dominance_matrix(F, slack)
    dominated = D.any(0)
    kept = list(idx[~dominated])
    if len(kept) < min_keep:
        layers = pareto_layers(F, slack)
        back = sorted(
            np.flatnonzero(dominated), key=lambda k: (layers[k], nsr[idx[k]]))
        kept += [idx[k] for k in back[:min_keep - len(kept)]]
    kept_set = set(int(k) for k in kept)
    for k in np.flatnonzero(dominated):
        i = int(idx[k])
        if i in kept_set:
            continue
        # name the dominator with the lowest NSR (the most telling one)
        doms = np.flatnonzero(D[:, k])
        j = int(idx[doms[np.argmin(nsr[idx[doms]])]])
        removed[i] = dict(
            index=i,
            reason='dominated',
            by=j,
            latency=float(latency[i]),
            nsr=float(nsr[i]),
            by_latency=float(latency[j]),
            by_nsr=float(nsr[j]))
    kept = sorted(kept_set, key=lambda i: (latency[i], nsr[i], i))
    return kept, [removed[i] for i in sorted(removed)]


def describe_removal(r: dict) -> str:
    """One short phrase for a removal record."""
    if r['reason'] == 'not_measured':
        return f'#{r["index"]}: latency not measured'
    if r['reason'] == 'cost_bound':
        return (f'#{r["index"]}: {r["cost"]} {r["ratio"]:.2f}x teacher > '
                f'{r["max_ratio"]:g}x')
    return (f'#{r["index"]}: dominated by #{r["by"]} '
            f'({r["by_latency"]:.3g}<={r["latency"]:.3g} ms, NSR '
            f'{r["by_nsr"]:.3g}<={r["nsr"]:.3g})')
