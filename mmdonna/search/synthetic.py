"""Synthetic block libraries with known tables, for tests and benchmarks.

Real libraries take a BKD run to produce; these have the same structure
(a :class:`~mmdonna.library.BlockLibrary` plus per-block latency tables) with
a realistic trade-off: faster options distil worse.
"""
from typing import List, Sequence, Tuple

import numpy as np

from mmdonna.library import BlockLibrary
from mmdonna.search_space import BlockSpec, SearchSpace


def synthetic_library(
        num_options: Sequence[int],
        seed: int = 0,
        noise: float = 0.3) -> Tuple[BlockLibrary, List[np.ndarray]]:
    """A block library and one target's latency tables.

    Latency of an option is uniform in [0.2, 2] ms (times a per-block scale);
    its NSR falls with latency (``0.05 / latency`` times a per-block scale)
    with multiplicative log-normal noise of width ``noise``, so some options
    are dominated. Params and FLOPs grow with latency.

    Args:
        num_options (Sequence[int]): Options per block.
        seed (int): Seed. Defaults to 0.
        noise (float): Width of the NSR noise. Defaults to 0.3.

    Returns:
        tuple: the library and the per-block latency tables (ms).
    """
    rng = np.random.default_rng(seed)
    specs, blocks, latency = [], {}, []
    for b, n in enumerate(num_options):
        path = f'backbone.layer{b + 1}'
        scale = rng.uniform(0.5, 2.0)
        lat = scale * rng.uniform(0.2, 2.0, n)
        nsr = (
            rng.uniform(0.5, 2.0) * 0.05 / lat *
            np.exp(noise * rng.standard_normal(n)))
        params = np.round(1e4 * lat * rng.uniform(0.8, 1.2, n))
        flops = np.round(1e6 * lat * rng.uniform(0.8, 1.2, n))
        options = [dict(type='MBConv', expand=i + 1) for i in range(n)]
        specs.append(
            BlockSpec(path, options, in_shape=(8, 8, 8), out_shape=(8, 8, 8)))
        blocks[path] = dict(
            in_shape=[8, 8, 8],
            out_shape=[8, 8, 8],
            teacher=dict(
                params=float(np.median(params)),
                flops=float(np.median(flops))),
            options=[
                dict(
                    option=o,
                    nsr_mean=float(nsr[i]),
                    nsr_std=float(0.1 * nsr[i]),
                    params=float(params[i]),
                    flops=float(flops[i])) for i, o in enumerate(options)
            ])
        latency.append(lat)
    return BlockLibrary(SearchSpace(specs), blocks, 100), latency
