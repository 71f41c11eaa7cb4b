"""Per-block tables as one padded array: vectorised sums over codes.

An architecture's additive cost (block NSR, LUT latency, params, FLOPs) is
``sum_b table[b][code[b]]``. Stacking the per-block arrays into one
``(num_blocks, max_options)`` array (NaN-padded) turns the sum over a batch of
codes into one fancy-indexing gather.
"""
from typing import Sequence

import numpy as np


def pad_tables(tables: Sequence[np.ndarray]) -> np.ndarray:
    """Stack per-block 1-D arrays into a NaN-padded ``(B, max_options)``
    array."""
    if not len(tables):
        raise ValueError('pad_tables needs at least one block table')
    width = max(len(t) for t in tables)
    out = np.full((len(tables), width), np.nan, dtype=float)
    for b, t in enumerate(tables):
        out[b, :len(t)] = np.asarray(t, dtype=float)
    return out


def table_sum(padded: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``sum_b padded[b, codes[:, b]]`` for a batch of codes ``(N, B)``.

    Raises:
        ValueError: when ``codes`` does not have one column per block.
    """
    codes = np.asarray(codes)
    if codes.ndim == 1:
        codes = codes[None]
    if codes.shape[1] != padded.shape[0]:
        raise ValueError(f'codes have {codes.shape[1]} blocks, the tables '
                         f'{padded.shape[0]}')
    return padded[np.arange(padded.shape[0])[None], codes].sum(1)
