"""``report.md`` from the artefacts in a work dir."""
import os.path as osp
from typing import List, Optional, Tuple

from mmdonna.utils import load_json_artifact
from mmdonna.utils.io import ArtifactError


def write_search_report(work_dir: str,
                        stages: List[Tuple[str, str, str]],
                        pareto_file: str = 'pareto.json',
                        filter_file: str = 'filtered_space.json',
                        title: Optional[str] = None) -> str:
    """Write ``<work_dir>/report.md``: the stage table, the KD filter table,
    the fronts and LUT-vs-measured latency, and the plots that exist.

    Returns:
        str: The report path.
    """
    from mmdonna.filter import filter_table
    from mmdonna.filter.kd_filter import FORMAT as FILTER_FORMAT
    from mmdonna.visualization import write_report
    from .donna_search_loop import PARETO_FORMAT

    def load(name, fmt):
        path = osp.join(work_dir, name)
        try:
            return load_json_artifact(path, fmt)
        except ArtifactError:
            return None

    filtered = load(filter_file, FILTER_FORMAT)
    pareto = load(pareto_file, PARETO_FORMAT)
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
        pareto,
        images=images)
    return out
