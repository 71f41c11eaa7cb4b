"""BlockLossSum: DONNAv2's accuracy-predictor-free quality surrogate."""
from typing import List, Optional, Sequence, Tuple

import numpy as np

from mmdonna.registry import TASK_UTILS
from .base_surrogate import BaseSurrogate
from .tables import pad_tables, table_sum

NORMALIZE = (None, 'mean')


def normalise_block_losses(tables: Sequence[np.ndarray],
                           normalize: Optional[str]) -> List[np.ndarray]:
    """Per-block NSR tables, optionally rescaled so every block counts alike.

    Args:
        tables (Sequence[np.ndarray]): NSR mean of every option, per block.
        normalize (str, optional): ``None`` keeps the raw NSRs; ``'mean'``
            divides each block's NSRs by that block's mean NSR over its
            options, so every block contributes about 1 for an average option
            whatever the scale of its loss (later blocks tend to have larger
            NSRs and would otherwise dominate the sum).
    """
    if normalize not in NORMALIZE:
        raise ValueError(f'surrogate.normalize={normalize!r}; use one of '
                         f'{NORMALIZE}')
    out = []
    for t in tables:
        t = np.asarray(t, dtype=float)
        if normalize == 'mean':
            scale = t.mean()
            t = t / scale if scale > 0 else t
        out.append(t)
    return out


def block_loss_sum(tables: Sequence[np.ndarray],
                   codes: np.ndarray) -> np.ndarray:
    """Sum over blocks of the chosen option's loss, for codes ``(N, B)``."""
    return table_sum(pad_tables(tables), codes)


@TASK_UTILS.register_module()
class BlockLossSum(BaseSurrogate):
    """DONNAv2's surrogate: the sum of the block-wise distillation losses
    (NSR means from the block library) of an architecture's options.

    Lower is better; the teacher itself scores 0.

    Args:
        normalize (str, optional): ``None`` sums the raw NSR means; ``'mean'``
            first divides each block's NSRs by that block's mean over its
            options, so that blocks count equally. Defaults to None.
    """

    def __init__(self, normalize: Optional[str] = None):
        if normalize not in NORMALIZE:
            raise ValueError(f'surrogate.normalize={normalize!r}; use one of '
                             f'{NORMALIZE}')
        self.normalize = normalize
        self.metric_name = ('block_loss_sum' if normalize is None else
                            f'block_loss_sum_{normalize}_normalised')
        self._table = None

    def setup(self, library, work_dir: str) -> None:
        """Build the padded per-block table from ``library.nsr_table()``."""
        self._table = pad_tables(
            normalise_block_losses(library.nsr_table(), self.normalize))

    def predict_batch(self, codes: np.ndarray) -> np.ndarray:
        if self._table is None:
            raise RuntimeError('BlockLossSum.setup(library, work_dir) must be '
                               'called before predict_batch')
        return table_sum(self._table, codes)

    def block_tables(self) -> Tuple[List[np.ndarray], float]:
        """The (normalised) NSR table of every block, offset 0."""
        if self._table is None:
            raise RuntimeError('BlockLossSum.setup(library, work_dir) must be '
                               'called before block_tables')
        return [row.copy() for row in self._table], 0.0

    def teacher_value(self) -> float:
        """Every block's NSR is 0: the sum is 0."""
        return 0.0
