"""block_library.png: NSR vs latency of every option, one panel per block."""
import math
from typing import Optional, Sequence

import numpy as np


def plot_block_library(out_file: str,
                       library,
                       latency_tables: Sequence[np.ndarray],
                       kept: Optional[Sequence[Sequence[int]]] = None,
                       target: str = '') -> None:
    """Scatter NSR against latency for each block's options; kept options
    (after the KD filter) filled, removed ones hollow; each point is
    labelled with its option index.

    Args:
        out_file (str): PNG path.
        library (BlockLibrary): The scored library.
        latency_tables (Sequence[np.ndarray]): Per-block option latency (ms)
            on ``target``.
        kept (Sequence[Sequence[int]], optional): Kept option indices per
            block. Defaults to None (all).
        target (str): Target name for the title. Defaults to ''.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    paths = library.space.paths
    nsr = library.nsr_table()
    cols = min(3, len(paths))
    rows = math.ceil(len(paths) / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for b, path in enumerate(paths):
        ax = axes[b // cols][b % cols]
        lat = np.asarray(latency_tables[b], dtype=float)
        keep = np.zeros(len(lat), dtype=bool)
        keep[list(kept[b]) if kept is not None else slice(None)] = True
        ax.scatter(lat[keep], nsr[b][keep], c='C0', s=24, label='kept')
        ax.scatter(
            lat[~keep],
            nsr[b][~keep],
            facecolors='none',
            edgecolors='C7',
            s=24,
            label='filtered out')
        for i in range(len(lat)):
            ax.annotate(
                str(i), (lat[i], nsr[b][i]),
                fontsize=6,
                xytext=(2, 2),
                textcoords='offset points')
        ax.set_title(path, fontsize=9)
        ax.set_xlabel('latency (ms)')
        ax.set_ylabel('NSR')
        ax.grid(alpha=0.3)
        if b == 0:
            ax.legend(fontsize=7)
    for k in range(len(paths), rows * cols):
        axes[k // cols][k % cols].axis('off')
    if target:
        fig.suptitle(f'block library on {target}', fontsize=10)
    fig.tight_layout()
    fig.savefig(out_file, dpi=110)
    plt.close(fig)
