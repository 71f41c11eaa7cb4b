"""Pure functions behind :class:`LatencyLUT`: prediction, calibration fit
and error statistics, over plain arrays."""
from typing import Sequence, Tuple

import numpy as np


def flatten_tables(
        tables: Sequence[np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """Concatenate per-block tables; returns ``(flat, starts)`` with
    ``tables[j][i] == flat[starts[j] + i]``."""
    sizes = [len(t) for t in tables]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    flat = np.concatenate([np.asarray(t, dtype=np.float64) for t in tables])
    return flat, starts


def predict_codes(flat: np.ndarray, starts: np.ndarray, offset: float,
                  codes: np.ndarray) -> np.ndarray:
    """``offset + sum_j tables[j][codes[:, j]]`` for every row of ``codes``.

    Args:
        flat (np.ndarray): Flattened tables (:func:`flatten_tables`).
        starts (np.ndarray): Start of each block in ``flat``.
        offset (float): Added to every sum.
        codes (np.ndarray): (N, num_blocks) option indices.

    Returns:
        np.ndarray: (N, ) predictions.
    """
    return flat[codes + starts].sum(axis=1) + offset


def fit_affine(raw: Sequence[float],
               measured: Sequence[float]) -> Tuple[float, float]:
    """Least-squares ``measured ~ offset + scale * raw`` in *relative* error
    (each point weighted by ``1 / measured``), the error the LUT is judged
    by.

    Returns:
        tuple: ``(offset, scale)``.

    Raises:
        ValueError: fewer than two points or all ``raw`` equal.
    """
    x = np.asarray(raw, dtype=np.float64)
    y = np.asarray(measured, dtype=np.float64)
    if x.size < 2 or np.ptp(x) == 0:
        raise ValueError('an affine fit needs at least two points with '
                         'different LUT sums')
    w = 1.0 / y
    a = np.stack([w, w * x], axis=1)
    (offset, scale), *_ = np.linalg.lstsq(a, w * y, rcond=None)
    return float(offset), float(scale)


def abs_pct_errors(predicted: Sequence[float],
                   measured: Sequence[float]) -> np.ndarray:
    """``100 * |predicted - measured| / measured`` elementwise."""
    p = np.asarray(predicted, dtype=np.float64)
    m = np.asarray(measured, dtype=np.float64)
    return 100.0 * np.abs(p - m) / m
