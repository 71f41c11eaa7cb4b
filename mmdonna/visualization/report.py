"""report.md: stages, KD filter, fronts and LUT-vs-measured latency."""
from typing import List, Optional, Sequence, Tuple

import numpy as np


def lut_error(lut: Sequence[float],
              measured: Sequence[Optional[float]]) -> dict:
    """How well the LUT (sum of block latencies) predicts whole models.

    Returns:
        dict: ``n`` (pairs measured), ``mean_abs_rel_error`` (mean of
        ``|lut - measured| / measured``), ``mean_ratio`` (mean of
        ``measured / lut``), ``kendall_tau`` of the two orders (None when
        fewer than 2 pairs).
    """
    pairs = [(float(a), float(b)) for a, b in zip(lut, measured)
             if b is not None and np.isfinite(b) and b > 0]
    if not pairs:
        return dict(
            n=0, mean_abs_rel_error=None, mean_ratio=None, kendall_tau=None)
    a, b = np.array(pairs).T
    tau = None
    if len(a) >= 2:
        from mmdonna.surrogate import kendall_tau
        t = kendall_tau(a, b)
        tau = None if not np.isfinite(t) else float(t)
    return dict(
        n=len(a),
        mean_abs_rel_error=float(np.mean(np.abs(a - b) / b)),
        mean_ratio=float(np.mean(b / a)),
        kendall_tau=tau)


def _fmt(v, spec='.3g') -> str:
    if v is None:
        return '-'
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


def front_table(pareto: dict) -> str:
    """Markdown table of every target's front (with the one-shot quality
    and whether the architecture stays on the re-ranked front, when the
    rerank stage ran)."""
    stats = {e.get('metric') for e in pareto['targets'].values()} - {None}
    # the LUT's statistic, which hardware in the loop measures too
    stat = f', {stats.pop()[:-3]}' if len(stats) == 1 else ''
    rerank = pareto.get('rerank')
    extra = (f' one-shot {rerank["metric"]} | re-ranked front |'
             if rerank else '')
    rows = [
        f'| target | name | latency LUT (ms) | latency measured (ms{stat}) | '
        f'{pareto.get("metric_name", "surrogate")} |{extra} params (M) | '
        'FLOPs (M) | code |', '|---|---|---|---|---|' +
        ('---|---|' if rerank else '') + '---|---|---|'
    ]
    for t, entry in pareto['targets'].items():
        for a in entry['front']:
            cells = ''
            if rerank:
                cells = (f' {_fmt(a.get("one_shot"), ".4g")} | '
                         f'{"yes" if a.get("rerank_front") else ""} |')
            rows.append(
                f'| {t} | {a["name"]} | {_fmt(a["latency_lut_ms"])} | '
                f'{_fmt(a.get("latency_measured_ms"))} | '
                f'{_fmt(a["surrogate"], ".4g")} |{cells} '
                f'{_fmt(a["params"] / 1e6 if a.get("params") else None)} | '
                f'{_fmt(a["flops"] / 1e6 if a.get("flops") else None)} | '
                f'{a["code"]} |')
    return '\n'.join(rows)


def write_report(out_file: str,
                 title: str,
                 stages: List[Tuple[str, str, str]],
                 filter_md: Optional[str] = None,
                 pareto: Optional[dict] = None,
                 images: Optional[Sequence[str]] = None) -> None:
    """Write ``report.md``.

    Args:
        out_file (str): Path.
        title (str): First heading.
        stages (list[tuple]): ``(stage, status, detail)`` rows.
        filter_md (str, optional): The KD filter table. Defaults to None.
        pareto (dict, optional): ``pareto.json`` content. Defaults to None.
        images (Sequence[str], optional): Image files (relative to the
            report) to embed. Defaults to None.
    """
    lines = [
        f'# {title}', '', '## Stages', '', '| stage | status | detail |',
        '|---|---|---|'
    ]
    lines += [f'| {s} | {st} | {d} |' for s, st, d in stages]
    if filter_md:
        lines += ['', '## KD filter', '', filter_md]
    if pareto:
        lines += ['', '## Pareto fronts', '']
        search = pareto.get('search')
        if search:
            name = dict(
                exact='exact front',
                nsga2='NSGA-II').get(search['algorithm'], search['algorithm'])
            grid = search.get('latency_eps_ms')
            if grid is not None:
                name += f' on a {grid:g} ms latency grid'
            lines += [f'Search: {name} ({search["reason"]}).', '']
        lines.append(front_table(pareto))
        if pareto.get('latency_scope') == 'dense':
            lines += [
                '', 'Latencies cover the detector up to its RPN head\'s raw '
                'outputs: the RoI head and post-processing (NMS) do not '
                'export to ONNX and are left out of every measurement.'
            ]
        lines += [
            '', '## LUT vs measured latency (front architectures, whole '
            'models)', '', '| target | teacher measured (ms) | pairs | '
            'mean abs rel. error | mean measured/LUT | Kendall tau |',
            '|---|---|---|---|---|---|'
        ]
        for t, entry in pareto['targets'].items():
            e = entry.get('lut_error') or {}
            teacher = (entry.get('teacher') or {}).get('latency_measured_ms')
            lines.append(f'| {t} | {_fmt(teacher)} | {e.get("n", 0)} | '
                         f'{_fmt(e.get("mean_abs_rel_error"))} | '
                         f'{_fmt(e.get("mean_ratio"))} | '
                         f'{_fmt(e.get("kendall_tau"))} |')
    for img in images or ():
        lines += ['', f'![{img}]({img})']
    with open(out_file, 'w') as f:
        f.write('\n'.join(lines) + '\n')
