"""The pymoo problem: integer genes over the filtered space."""
from typing import Callable, Sequence, Tuple

import numpy as np
from pymoo.core.problem import Problem

from mmdonna.utils.io import ArtifactError


class ArchProblem(Problem):
    """Vectorised pymoo problem over a filtered search space.

    Genes are indices into each block's kept options (ordered by latency by
    the KD filter); blocks with a single kept option are fixed and carry no
    gene. :meth:`to_full` maps genes to codes in the FULL search-space
    indexing, which is what ``evaluate`` and every output see.

    Args:
        kept (Sequence[Sequence[int]]): Kept full-space option indices per
            block, in gene order.
        evaluate (Callable): ``codes (N, B) -> (F (N, M), G (N, K))``.
        n_obj (int): Objectives. Defaults to 2.
        n_constr (int): Inequality constraints. Defaults to 0.
    """

    def __init__(self,
                 kept: Sequence[Sequence[int]],
                 evaluate: Callable[[np.ndarray], Tuple[np.ndarray,
                                                        np.ndarray]],
                 n_obj: int = 2,
                 n_constr: int = 0):
        self.kept = [np.asarray(k, dtype=int) for k in kept]
        if any(len(k) == 0 for k in self.kept):
            raise ValueError('every block needs at least one kept option')
        self.free = np.array(
            [b for b, k in enumerate(self.kept) if len(k) > 1], dtype=int)
        self.fixed_code = np.array([k[0] for k in self.kept], dtype=int)
        width = max(len(k) for k in self.kept)
        self.lookup = np.full((len(self.kept), width), -1, dtype=int)
        for b, k in enumerate(self.kept):
            self.lookup[b, :len(k)] = k
        self.evaluate_codes = evaluate
        xu = np.array([len(self.kept[b]) - 1 for b in self.free])
        super().__init__(
            n_var=len(self.free),
            n_obj=n_obj,
            n_ieq_constr=n_constr,
            xl=np.zeros(len(self.free)),
            xu=xu,
            vtype=int)

    @property
    def size(self) -> int:
        """Architectures in the filtered space."""
        return int(np.prod([len(k) for k in self.kept], dtype=object))

    def to_full(self, X: np.ndarray) -> np.ndarray:
        """Genes ``(N, n_var)`` -> full-space codes ``(N, B)``."""
        X = np.asarray(X).astype(int).reshape(-1, len(self.free))
        codes = np.repeat(self.fixed_code[None], len(X), 0)
        if len(self.free):
            codes[:, self.free] = self.lookup[self.free[None], X]
        return codes

    def to_genes(self, codes: np.ndarray) -> np.ndarray:
        """Full-space codes -> genes; refuses codes outside the filtered
        space."""
        codes = np.asarray(codes, dtype=int).reshape(-1, len(self.kept))
        X = np.zeros((len(codes), len(self.free)), dtype=int)
        for j, b in enumerate(self.free):
            pos = {int(c): i for i, c in enumerate(self.kept[b])}
            for n, c in enumerate(codes[:, b]):
                if int(c) not in pos:
                    raise ArtifactError(
                        f'search state has option {int(c)} in block {b}, '
                        f'which the filtered space does not keep; it belongs '
                        f'to another filter: delete it to search again')
                X[n, j] = pos[int(c)]
        for b in set(range(len(self.kept))) - set(self.free.tolist()):
            if (codes[:, b] != self.fixed_code[b]).any():
                raise ArtifactError(
                    f'search state uses options of block {b} that the '
                    f'filtered space removed; delete it to search again')
        return X

    def _evaluate(self, X, out, *args, **kwargs):
        F, G = self.evaluate_codes(self.to_full(X))
        out['F'] = F
        if self.n_ieq_constr:
            out['G'] = G
