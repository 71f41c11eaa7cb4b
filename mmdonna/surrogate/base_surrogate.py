"""The interface every quality surrogate implements."""
from abc import ABCMeta, abstractmethod
from typing import List, Optional, Tuple

import numpy as np


class BaseSurrogate(metaclass=ABCMeta):
    """A quality estimate of architectures; **lower is better**.

    A surrogate is built from ``surrogate = dict(type=...)`` in the config,
    then :meth:`setup` gives it the scored block library and the work dir (a
    learned predictor can fit or load itself there); :meth:`predict_batch`
    scores codes in the FULL search-space indexing.

    Attributes:
        metric_name (str): What :meth:`predict_batch` returns, for tables and
            plot axes.
    """

    metric_name: str = 'surrogate'

    @abstractmethod
    def setup(self, library, work_dir: str) -> None:
        """Prepare from a :class:`~mmdonna.library.BlockLibrary`."""

    @abstractmethod
    def predict_batch(self, codes: np.ndarray) -> np.ndarray:
        """Scores ``(N,)`` of codes ``(N, num_blocks)``, lower is better."""

    def block_tables(self) -> Optional[Tuple[List[np.ndarray], float]]:
        """Per-block per-option terms and a constant whose sum is
        :meth:`predict_batch` (``offset + sum_b tables[b][code[b]]``), for
        the exact front search; ``None`` (the default) when the surrogate
        does not add up over blocks (the search then runs NSGA-II)."""
        return None

    def teacher_value(self) -> Optional[float]:
        """The value of the teacher itself (every block's NSR 0), for
        spaces without the teacher option; None when unknown."""
        return None
