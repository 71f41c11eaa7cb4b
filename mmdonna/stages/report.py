"""The report stage: ``pareto.png``, ``block_library.png`` and
``report.md`` from what the stages produced."""
import os.path as osp
import time
from typing import List, Optional, Tuple

from mmdonna import formats
from mmdonna.filter import filter_table
from mmdonna.search.search_stages import random_samples
from mmdonna.utils import load_json_artifact
from mmdonna.utils.io import ArtifactError
from mmdonna.visualization import (front_table, plot_block_library,
                                   plot_pareto, write_report)
from .finetune import PICKS, choose_models
from .stage_context import StageContext


def plots(ctx: StageContext) -> List[str]:
    """``pareto.png`` (fronts over random architectures) and
    ``block_library.png`` (the first target's options, kept and removed)."""
    s, pareto = ctx.search, ctx.pareto
    space = ctx.library.space
    seed = ctx.settings['search']['seed']
    num = ctx.settings['search']['num_random_samples']
    fronts, samples, teacher = {}, {}, {}
    for t, entry in pareto['targets'].items():
        front = entry['front']
        fronts[t] = dict(
            latency_lut=[a['latency_lut_ms'] for a in front],
            surrogate=[a['surrogate'] for a in front],
            latency_measured=[a['latency_measured_ms'] for a in front])
        samples[t] = random_samples(space, s['objectives'][t], num, seed)
        teacher[t] = (entry['teacher']['latency_measured_ms'],
                      entry['teacher']['surrogate'])
    out = [ctx.path('pareto.png'), ctx.path('block_library.png')]
    plot_pareto(out[0], fronts, samples, teacher, pareto['metric_name'])
    first = next(iter(ctx.latency))
    plot_block_library(
        out[1], ctx.library, ctx.latency[first]['tables'],
        [s['filtered']['targets'][first][p]['kept']
         for p in space.paths], first)
    return out


def write_search_report(work_dir: str,
                        stages: List[Tuple[str, str, str]],
                        pareto_file: str = 'pareto.json',
                        filter_file: str = 'filtered_space.json',
                        title: Optional[str] = None,
                        finetune_table: str = '') -> str:
    """Write ``<work_dir>/report.md``: the stage table, the KD filter table,
    the fronts and LUT-vs-measured latency, the finetuned models and the
    plots that exist.

    Returns:
        str: The report path.
    """

    def load(name, fmt):
        try:
            return load_json_artifact(osp.join(work_dir, name), fmt)
        except ArtifactError:
            return None

    filtered = load(filter_file, formats.FILTERED_SPACE)
    images = [
        p for p in ('pareto.png', 'block_library.png')
        if osp.exists(osp.join(work_dir, p))
    ]
    out = osp.join(work_dir, 'report.md')
    write_report(
        out,
        title or f'mmdonna search: {osp.basename(osp.abspath(work_dir))}',
        stages,
        filter_table(filtered) if filtered else None,
        load(pareto_file, formats.PARETO),
        images=images)
    if finetune_table:
        with open(out, 'a') as f:
            f.write('\n## Finetuned models vs the teacher\n\n' +
                    finetune_table + '\n')
    return out


def report(ctx: StageContext) -> str:
    """Plots and ``report.md`` (rewritten every run: it lists this run's
    stages)."""
    t0 = time.time()
    plots(ctx)
    ctx.row('report', 'done', 'pareto.png, block_library.png, report.md', t0)
    return write_search_report(
        ctx.work_dir,
        ctx.rows,
        finetune_table=ctx.finetune_table,
        pareto_file=getattr(ctx, 'files', {}).get('pareto', 'pareto.json'),
        filter_file=getattr(ctx, 'files', {}).get('filter',
                                                  'filtered_space.json'))


def summary_table(pareto: dict) -> str:
    """The fastest, middle and best architecture of every front next to
    the teacher (the console's table when nothing is finetuned)."""
    short = dict(pareto)
    short['targets'] = {
        t:
        dict(
            e,
            front=choose_models(e['front'], list(PICKS), pareto.get('rerank')))
        for t, e in pareto['targets'].items()
    }
    return front_table(short)
