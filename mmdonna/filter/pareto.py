"""Pareto dominance over small arrays of objectives (all minimised)."""
import numpy as np


def dominance_matrix(F: np.ndarray, slack: float = 0.0) -> np.ndarray:
    """``D[j, i]`` is True when row ``j`` dominates row ``i``.

    ``j`` dominates ``i`` when ``F[j] * (1 + slack) <= F[i]`` in every
    objective and ``F[j] < F[i]`` in at least one. ``slack`` > 0 asks for a
    relative margin, so near-ties are not counted as dominated (objectives
    must then be non-negative). Identical rows never dominate each other.

    Args:
        F (np.ndarray): Objectives ``(N, M)``, lower is better.
        slack (float): Relative margin. Defaults to 0.0.
    """
    F = np.asarray(F, dtype=float)
    if F.ndim != 2:
        raise ValueError(f'objectives must be (N, M), got shape {F.shape}')
    if slack < 0:
        raise ValueError(f'slack={slack} must be >= 0')
    if slack > 0 and (F < 0).any():
        raise ValueError('a relative slack needs non-negative objectives')
    a = F[:, None, :] * (1.0 + slack)  # dominator j
    b = F[None, :, :]  # dominated i
    return (a <= b).all(-1) & (F[:, None, :] < b).any(-1)


def pareto_mask(F: np.ndarray, slack: float = 0.0) -> np.ndarray:
    """Boolean mask of the rows no other row dominates (see
    :func:`dominance_matrix`).

    Two objectives without slack take an O(N log N) sweep (fronts of
    millions of points); otherwise the pairwise test is used.
    """
    F = np.asarray(F, dtype=float)
    if len(F) == 0:
        return np.zeros(0, dtype=bool)
    if slack == 0 and F.ndim == 2 and F.shape[1] == 2:
        return _pareto_mask_2d(F)
    return ~dominance_matrix(F, slack).any(0)


def _pareto_mask_2d(F: np.ndarray) -> np.ndarray:
    order = np.lexsort((F[:, 1], F[:, 0]))
    f1, f2 = F[order, 0], F[order, 1]
    # start of each run of equal f1 (rows sorted by f1, then f2)
    new_group = np.r_[True, f1[1:] != f1[:-1]]
    start = np.maximum.accumulate(np.where(new_group, np.arange(len(f1)), 0))
    best_before = np.r_[np.inf, np.minimum.accumulate(f2)[:-1]]
    # lowest f2 among rows with a strictly smaller f1
    prev = best_before[start]
    keep_sorted = (f2 == f2[start]) & (f2 < prev)
    mask = np.zeros(len(F), dtype=bool)
    mask[order] = keep_sorted
    return mask


def pareto_layers(F: np.ndarray, slack: float = 0.0) -> np.ndarray:
    """Non-dominated sorting rank of every row (0 = Pareto front)."""
    F = np.asarray(F, dtype=float)
    D = dominance_matrix(F, slack)
    rank = np.full(len(F), -1)
    left = np.ones(len(F), dtype=bool)
    k = 0
    while left.any():
        idx = np.flatnonzero(left)
        front = idx[~D[np.ix_(idx, idx)].any(0)]
        rank[front] = k
        left[front] = False
        k += 1
    return rank
