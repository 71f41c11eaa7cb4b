"""pareto.png: the front of every target against random architectures and
the teacher."""
from typing import Dict, Optional, Tuple

import numpy as np


def plot_pareto(out_file: str,
                fronts: Dict[str, dict],
                samples: Optional[Dict[str, dict]] = None,
                teacher: Optional[Dict[str, Tuple[float, float]]] = None,
                metric_name: str = 'surrogate') -> None:
    """One panel per target: latency (x) vs surrogate (y, lower is better).

    Args:
        out_file (str): PNG path.
        fronts (dict): ``{target: dict(latency_lut=[...], surrogate=[...],
            latency_measured=[...] or None)}``.
        samples (dict, optional): ``{target: dict(latency=[...],
            surrogate=[...])}`` random architectures. Defaults to None.
        teacher (dict, optional): ``{target: (measured latency, surrogate
            value)}`` of the teacher. Defaults to None.
        metric_name (str): Y-axis label. Defaults to 'surrogate'.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    targets = list(fronts)
    fig, axes = plt.subplots(
        1, len(targets), figsize=(5.5 * len(targets), 4.2), squeeze=False)
    for ax, t in zip(axes[0], targets):
        if samples and t in samples:
            ax.scatter(
                samples[t]['latency'],
                samples[t]['surrogate'],
                s=6,
                c='0.75',
                label='random architectures')
        f = fronts[t]
        order = np.argsort(f['latency_lut'])
        lut = np.asarray(f['latency_lut'])[order]
        sur = np.asarray(f['surrogate'])[order]
        ax.plot(lut, sur, 'o-', c='C0', ms=4, label='front (LUT latency)')
        meas = f.get('latency_measured')
        if meas is not None and any(m is not None for m in meas):
            m = np.array([np.nan if v is None else v for v in meas],
                         dtype=float)[order]
            ax.scatter(
                m, sur, marker='x', c='C3', s=22, label='front (measured)')
        if teacher and teacher.get(t) is not None and None not in teacher[t]:
            ax.scatter([teacher[t][0]], [teacher[t][1]],
                       marker='*',
                       s=160,
                       c='C2',
                       label='teacher (measured)')
        ax.set_title(t)
        ax.set_xlabel('latency (ms)')
        ax.set_ylabel(f'{metric_name} (lower is better)')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_file, dpi=110)
    plt.close(fig)
