"""The exact Pareto front of objectives that add up over blocks.

When every objective and constraint is a constant plus a sum of per-block
per-option terms (the block-loss sum, the linear predictor, the LUT latency,
params, FLOPs), the front of the whole space is built block by block: the
partial sums of the first ``b`` blocks are extended by every option of block
``b + 1`` and the partial sums that some other partial sum dominates are
dropped. A dropped partial sum cannot start a front architecture (the same
completion of its dominator is at least as good), so the result is exact, and
the partial sets stay small where the space has ``1e20`` architectures.

Constrained costs that are not objectives (params, FLOPs under a bound) take
part in the dominance of partial sums: a partial sum that is better in both
objectives but costs more parameters may break a bound that the other one
meets. Each such cost is clamped from below at the level where every
completion meets its bound (``bound - max remaining``): below it the cost no
longer matters, so slack constraints do not enlarge the partial sets.
"""
from typing import NamedTuple, Optional, Sequence

import numpy as np

# rows compared at once in the dominance test of more than two columns
# (memory of one comparison: about CHUNK * CHUNK * columns booleans)
CHUNK = 1024


class ExactFront(NamedTuple):
    """Result of :func:`exact_front`.

    Attributes:
        codes (np.ndarray): ``(N, B)`` option index per block (the row of
            each block's table), fastest first.
        values (np.ndarray): ``(N, M)`` totals, offsets included.
        evaluated (int): Partial sums formed (candidates examined).
        largest (int): Largest partial set kept after a merge.
    """
    codes: np.ndarray
    values: np.ndarray
    evaluated: int
    largest: int


def nondominated(keys: np.ndarray) -> np.ndarray:
    """Indices of the rows of ``keys`` (``(N, M)``, lower is better) that no
    other row weakly dominates; of identical rows one is kept.

    Two columns take an ``O(N log N)`` sweep, more a chunked pairwise test
    over rows sorted lexicographically (a row can only be dominated by rows
    before it in that order).
    """
    keys = np.asarray(keys, dtype=float)
    if len(keys) == 0:
        return np.zeros(0, dtype=int)
    if keys.shape[1] == 1:
        return np.array([int(np.argmin(keys[:, 0]))])
    if keys.shape[1] == 2:
        order = np.lexsort((keys[:, 1], keys[:, 0]))
        c1 = keys[order, 1]
        best_before = np.r_[np.inf, np.minimum.accumulate(c1)[:-1]]
        return np.sort(order[c1 < best_before])
    _, first = np.unique(keys, axis=0, return_index=True)  # sorted rows
    cols = np.ascontiguousarray(keys[first].T)
    n = cols.shape[1]
    kept = np.zeros(n, dtype=bool)

    def covers(ref: np.ndarray, rows: slice) -> np.ndarray:
        """``out[i, j]``: row ``ref[i]`` <= row ``rows[j]`` everywhere."""
        out = cols[0, ref, None] <= cols[0, None, rows]
        for c in cols[1:]:
            out &= c[ref, None] <= c[None, rows]
        return out

    for s in range(0, n, CHUNK):
        rows = slice(s, min(s + CHUNK, n))
        dom = np.zeros(rows.stop - s, dtype=bool)
        prev = np.flatnonzero(kept[:s])
        for p in range(0, len(prev), CHUNK):
            dom |= covers(prev[p:p + CHUNK], rows).any(0)
        # within the chunk only earlier rows can dominate (rows are unique)
        inner = covers(np.arange(s, rows.stop), rows)
        dom |= np.triu(inner, 1).any(0)
        kept[rows] = ~dom
    return np.sort(first[kept])


def _keys(values: np.ndarray, floor: np.ndarray, eps: Optional[float],
          cell: float) -> np.ndarray:
    """Dominance keys of partial sums: columns 0 and 1 (the objectives; the
    latency column on a grid of width ``cell`` when ``eps`` is set) and the
    constrained columns clamped from below at ``floor``, constant ones
    dropped."""
    keys = [values[:, 0], values[:, 1]]
    if eps is not None:
        keys[1] = np.floor(values[:, 1] / cell)
    for j in range(2, values.shape[1]):
        col = np.maximum(values[:, j], floor[j])
        if len(col) and col.min() < col.max():
            keys.append(col)
    return np.stack(keys, 1)


def exact_front(tables: Sequence[np.ndarray],
                offsets: Optional[Sequence[float]] = None,
                bounds: Optional[Sequence[float]] = None,
                kept: Optional[Sequence[Sequence[int]]] = None,
                eps: Optional[float] = None) -> ExactFront:
    """Pareto front of ``(total[:, 0], total[:, 1])`` over every
    architecture whose totals meet ``bounds``.

    The total of an architecture ``code`` is
    ``offsets + sum_b tables[b][code[b]]``: column 0 is the quality
    surrogate, column 1 the latency (both objectives, minimised), further
    columns are constrained costs (params, FLOPs).

    Args:
        tables (Sequence[np.ndarray]): Per block a ``(options, M)`` array,
            ``M >= 2``.
        offsets (Sequence[float], optional): ``(M,)`` constants. Defaults to
            None (zeros).
        bounds (Sequence[float], optional): ``(M,)`` upper bounds on the
            totals, ``inf`` for none. Defaults to None (no bounds).
        kept (Sequence[Sequence[int]], optional): Options of each block to
            search (rows of its table); others are never used. Defaults to
            None (every row).
        eps (float, optional): Latency grid for very large fronts: after
            each merge, partial sums in the same latency cell of width
            ``eps / (2 * num_blocks)`` are compared as if their latencies
            were equal, and the final front keeps one architecture per cell
            of width ``eps / 2``. Every architecture of the exact front then
            has one in the result with a surrogate no worse and a latency at
            most ``eps`` higher (one whose latency is within ``eps`` of a
            latency bound may be lost to a cell mate above the bound).
            Defaults to None (exact).

    Returns:
        ExactFront: codes (indices into each block's table), totals, and
        counts; an empty front when no architecture meets the bounds.
    """
    tables = [np.asarray(t, dtype=float) for t in tables]
    if not tables or any(t.ndim != 2 for t in tables):
        raise ValueError('exact_front needs one (options, M) table per block')
    M = tables[0].shape[1]
    if M < 2 or any(t.shape[1] != M for t in tables):
        raise ValueError(f'every block table needs the same M >= 2 columns, '
                         f'got {[t.shape for t in tables]}')
    if eps is not None and not eps > 0:
        raise ValueError(f'latency eps={eps} must be > 0')
    B = len(tables)
    offsets = np.zeros(M) if offsets is None else np.asarray(offsets, float)
    bounds = np.full(M, np.inf) if bounds is None else np.asarray(
        bounds, float)
    if kept is None:
        kept = [np.arange(len(t)) for t in tables]
    kept = [np.asarray(k, dtype=int) for k in kept]
    if len(kept) != B or any(len(k) == 0 for k in kept):
        raise ValueError('kept needs at least one option for every block')
    rows = [t[k] for t, k in zip(tables, kept)]
    cell = eps / (2 * B) if eps is not None else 1.0

    # drop options dominated inside their block (any completion: clamp at
    # what is always feasible whatever the other blocks choose)
    row_max = np.array([r.max(0) for r in rows])
    for b in range(B):
        floor = bounds - offsets - (row_max.sum(0) - row_max[b])
        keep = nondominated(_keys(rows[b], floor, None, cell))
        rows[b], kept[b] = rows[b][keep], kept[b][keep]
    # cheapest / dearest completion by the blocks after b
    mins = np.array([r.min(0) for r in rows])
    maxs = np.array([r.max(0) for r in rows])
    rest_min = np.vstack([np.cumsum(mins[::-1], 0)[::-1][1:], np.zeros(M)])
    rest_max = np.vstack([np.cumsum(maxs[::-1], 0)[::-1][1:], np.zeros(M)])
    bounded = np.isfinite(bounds)

    values = np.zeros((1, M))
    parents, options = [], []
    evaluated = largest = 0
    for b in range(B):
        K = len(rows[b])
        cand = (values[:, None, :] + rows[b][None]).reshape(-1, M)
        evaluated += len(cand)
        ok = (cand[:, bounded] + (rest_min[b] + offsets)[bounded]
              <= bounds[bounded]).all(1)
        idx = np.flatnonzero(ok)
        floor = bounds - offsets - rest_max[b]
        sel = idx[nondominated(_keys(cand[idx], floor, eps, cell))]
        parents.append(sel // K)
        options.append(kept[b][sel % K])
        values = cand[sel]
        largest = max(largest, len(values))
        if not len(values):
            return ExactFront(
                np.zeros((0, B), dtype=int), np.zeros((0, M)), evaluated,
                largest)
    final = np.arange(len(values))
    if eps is not None:  # one architecture per cell of eps / 2
        final = nondominated(_keys(values[:, :2], None, eps, eps / 2))
    final = final[nondominated(values[final, :2])]
    codes = np.zeros((len(final), B), dtype=int)
    at = final
    for b in range(B - 1, -1, -1):
        codes[:, b] = options[b][at]
        at = parents[b][at]
    totals = values[final] + offsets
    order = np.lexsort((totals[:, 0], totals[:, 1]))
    return ExactFront(codes[order], totals[order], evaluated, largest)
