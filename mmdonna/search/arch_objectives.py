"""Objectives and constraints of the architecture search, vectorised."""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from mmdonna.surrogate import pad_tables, table_sum

COSTS = ('latency', 'params', 'flops')


class ArchObjectives:
    """``F = (surrogate, latency)`` and ``G`` (``<= 0`` is feasible) of a
    batch of codes in the full search-space indexing.

    Every cost is additive over blocks plus a constant: ``offset +
    sum_b table[b][code[b]]`` (the LUT's latency model; params and FLOPs of
    the whole network are the fixed part plus the searched blocks).

    Args:
        surrogate: Object with ``predict_batch(codes) -> (N,)``.
        costs (dict): ``{name: (tables, offset)}`` with ``latency`` required,
            ``params`` / ``flops`` optional.
        limits (dict, optional): ``{name: upper bound}`` for any name in
            ``costs``; each becomes a constraint ``value / bound - 1 <= 0``.
            Defaults to None.
    """

    def __init__(self,
                 surrogate,
                 costs: Dict[str, Tuple[Sequence[np.ndarray], float]],
                 limits: Optional[Dict[str, float]] = None):
        if 'latency' not in costs:
            raise ValueError('ArchObjectives needs latency tables')
        self.surrogate = surrogate
        self.costs = {
            k: (pad_tables(t), float(off))
            for k, (t, off) in costs.items()
        }
        self.limits = {
            k: float(v)
            for k, v in (limits or {}).items() if v is not None
        }
        for k, v in self.limits.items():
            if k not in self.costs:
                raise ValueError(f'a {k} constraint needs {k} tables')
            if v <= 0:
                raise ValueError(f'the {k} bound {v} must be positive')

    @property
    def n_constr(self) -> int:
        return len(self.limits)

    def cost(self, name: str, codes: np.ndarray) -> np.ndarray:
        """Additive cost ``name`` of codes ``(N, B)``."""
        table, offset = self.costs[name]
        return table_sum(table, codes) + offset

    def min_cost(self, name: str, kept: Sequence[Sequence[int]]) -> float:
        """Lowest ``name`` any architecture built from ``kept`` reaches."""
        table, offset = self.costs[name]
        return float(offset + sum(table[b, list(k)].min()
                                  for b, k in enumerate(kept)))

    def block_tables(self) -> Optional[Tuple[list, np.ndarray, np.ndarray]]:
        """The objectives and bounded costs as per-block tables, for
        :func:`~mmdonna.search.exact_front.exact_front`.

        Returns:
            tuple | None: Per block a ``(options, M)`` array (columns:
            surrogate, latency, then every bounded cost other than latency),
            the ``(M,)`` offsets and the ``(M,)`` bounds (``inf`` for none);
            None when the surrogate does not add up over blocks.
        """
        additive = getattr(self.surrogate, 'block_tables', None)
        surrogate = additive() if callable(additive) else None
        if surrogate is None:
            return None
        rows, offset = surrogate
        names = ['latency'] + [k for k in self.limits if k != 'latency']
        width = self.costs['latency'][0].shape[1]
        columns = [pad_tables([np.asarray(r, dtype=float) for r in rows])]
        if columns[0].shape != (len(self.costs['latency'][0]), width):
            raise ValueError(f'surrogate block tables have shape '
                             f'{columns[0].shape}, the latency tables '
                             f'{self.costs["latency"][0].shape}')
        columns += [self.costs[k][0] for k in names]
        offsets = np.array([float(offset)] + [self.costs[k][1] for k in names])
        bounds = np.array([np.inf] +
                          [self.limits.get(k, np.inf) for k in names])
        return list(np.stack(columns, -1)), offsets, bounds

    def __call__(self, codes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        codes = np.asarray(codes)
        F = np.stack([
            np.asarray(self.surrogate.predict_batch(codes), dtype=float),
            self.cost('latency', codes)
        ], 1)
        G = np.stack(
            [self.cost(k, codes) / v - 1.0
             for k, v in self.limits.items()], 1) if self.limits else np.zeros(
                 (len(codes), 0))
        return F, G
