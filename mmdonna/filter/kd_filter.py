"""KDFilter: DONNAv2's pre-search pruning of block options, per target."""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import print_log

from mmdonna import formats
from mmdonna.registry import TASK_UTILS
from mmdonna.utils import atomic_write_json, config_hash, load_json_artifact
from mmdonna.utils.io import ArtifactError
from .block_filter import describe_removal, filter_block

FORMAT = formats.FILTERED_SPACE
COSTS = ('latency', 'params', 'flops')


@TASK_UTILS.register_module()
class KDFilter:
    """Drop block options before the search, separately for every target.

    Per block: options over a cost bound relative to the teacher's block go
    first, then options dominated in (latency on the target, NSR). A block
    never ends up empty (a bound that would empty it is an error). The kept
    options of each block are ordered by latency, so that the filtered index
    is ordinal in latency (and, on a Pareto set, in NSR), which suits the
    search's crossover and mutation.

    Args:
        drop_dominated (bool): Drop dominated options. Defaults to True.
        slack (float): Relative margin: ``j`` dominates ``i`` only when
            ``j``'s latency and NSR, both times ``1 + slack``, are still at
            most ``i``'s. Larger keeps more near-Pareto options.
            Defaults to 0.0.
        min_keep (int): Options kept per block at least (dominated options
            come back, best first). Defaults to 1.
        max_cost_ratio (dict, optional): Bounds relative to the teacher block,
            keys ``latency``, ``params``, ``flops``; e.g. ``dict(latency=1.5)``
            drops options slower than 1.5x the teacher block on the target.
            Defaults to None (no bound).
    """

    def __init__(self,
                 drop_dominated: bool = True,
                 slack: float = 0.0,
                 min_keep: int = 1,
                 max_cost_ratio: Optional[Dict[str, float]] = None):
        max_cost_ratio = dict(copy.deepcopy(max_cost_ratio) or {})
        unknown = set(max_cost_ratio) - set(COSTS)
        if unknown:
            raise ValueError(f'kd_filter.max_cost_ratio has unknown keys '
                             f'{sorted(unknown)}; use {list(COSTS)}')
        for k, v in max_cost_ratio.items():
            if v is None or float(v) <= 0:
                raise ValueError(f'kd_filter.max_cost_ratio.{k}={v} must be '
                                 f'a positive ratio')
        if slack < 0:
            raise ValueError(f'kd_filter.slack={slack} must be >= 0')
        if min_keep < 1:
            raise ValueError(f'kd_filter.min_keep={min_keep} must be >= 1')
        self.drop_dominated = drop_dominated
        self.slack = float(slack)
        self.min_keep = int(min_keep)
        self.max_cost_ratio = {k: float(v) for k, v in max_cost_ratio.items()}
        self.reused = False  # whether the last run() reused its file

    def settings(self) -> dict:
        return dict(
            drop_dominated=self.drop_dominated,
            slack=self.slack,
            min_keep=self.min_keep,
            max_cost_ratio=self.max_cost_ratio)

    # ---- one target ------------------------------------------------------
    def filter_target(
            self,
            library,
            latency_tables: Sequence[np.ndarray],
            teacher_latency: Optional[Sequence[float]] = None) -> dict:
        """Filter every block of ``library`` for one target.

        Args:
            library (BlockLibrary): Scored block library.
            latency_tables (Sequence[np.ndarray]): Latency (ms) of every
                option, per block, on the target.
            teacher_latency (Sequence[float], optional): Latency of each
                teacher block on the target; needed by a latency bound.
                Defaults to None.

        Returns:
            dict: ``{path: dict(kept=[...], removed=[...], num_options)}``.
        """
        if 'latency' in self.max_cost_ratio and teacher_latency is None:
            raise ValueError(
                'kd_filter.max_cost_ratio.latency needs the latency of the '
                'teacher blocks, which the latency LUT does not have; drop '
                'the latency bound')
        space = library.space
        nsr = library.nsr_table()
        fields = {k: library.field_table(k) for k in ('params', 'flops')}
        teacher = {k: library.teacher_field(k) for k in ('params', 'flops')}
        blocks = {}
        for b, path in enumerate(space.paths):
            lat = np.asarray(latency_tables[b], dtype=float)
            costs = {}
            for name, ratio in self.max_cost_ratio.items():
                if name == 'latency':
                    costs[name] = (lat, float(teacher_latency[b]), ratio)
                else:
                    costs[name] = (fields[name][b], float(teacher[name][b]),
                                   ratio)
            if self.drop_dominated:
                kept, removed = filter_block(lat, nsr[b], costs, self.slack,
                                             self.min_keep, path)
            else:  # bounds only: dominance is tested against nothing
                kept, removed = filter_block(lat, nsr[b], costs, 0.0, len(lat),
                                             path)
            blocks[path] = dict(
                num_options=len(lat), kept=kept, removed=removed)
        return blocks

    # ---- all targets + artefact -----------------------------------------
    def run(self,
            library,
            latency: Dict[str, dict],
            out_file: str,
            logger: str = 'current') -> dict:
        """Filter for every target, or reuse a valid ``out_file``.

        Args:
            library (BlockLibrary): Scored block library.
            latency (dict): ``{target_id: dict(tables=[...],
                teacher=[...] or None)}``.
            out_file (str): ``filtered_space.json`` path (written atomically).
            logger (str): mmengine logger name. Defaults to 'current'.

        Returns:
            dict: The artefact: ``targets[target_id][path]`` has ``kept``
            (full-space option indices, ordered by latency) and ``removed``.
        """
        digest = config_hash(
            dict(
                space=library.space.fingerprint(),
                nsr=library.nsr_table(),
                latency={
                    t:
                    dict(
                        tables=v['tables'],
                        teacher=None
                        if v.get('teacher') is None else list(v['teacher']))
                    for t, v in latency.items()
                },
                settings=self.settings()))
        if osp.exists(out_file):
            try:
                data = load_json_artifact(out_file, FORMAT, digest,
                                          'filtered space')
                print_log(f'filter: reusing {out_file}', logger)
                self.reused = True
                return data
            except ArtifactError as e:
                print_log(f'filter: {e}; filtering again', logger)
        data = dict(
            format=FORMAT,
            config_hash=digest,
            settings=self.settings(),
            paths=library.space.paths,
            targets={
                t: self.filter_target(library, v['tables'], v.get('teacher'))
                for t, v in latency.items()
            })
        atomic_write_json(out_file, data)
        self.reused = False
        print_log(
            'KD filter (kept / options per block; removed and why):\n' +
            filter_table(data), logger)
        return data


def kept_options(data: dict, target: str, paths: Sequence[str]) -> List[list]:
    """Kept full-space indices per block (block order) for one target."""
    try:
        blocks = data['targets'][target]
        return [list(blocks[p]['kept']) for p in paths]
    except KeyError as e:
        raise ArtifactError(
            f'filtered space has no entry {e} for target {target!r}; delete '
            f'filtered_space.json to filter again') from None


def filter_table(data: dict, max_listed: int = 4) -> str:
    """A short Markdown table of what the filter removed and why."""
    rows = [
        '| target | block | kept | dominated | over bound | removed (why) |',
        '|---|---|---|---|---|---|'
    ]
    for target, blocks in data['targets'].items():
        for path, b in blocks.items():
            dom = [r for r in b['removed'] if r['reason'] == 'dominated']
            bound = [r for r in b['removed'] if r['reason'] == 'cost_bound']
            why = [describe_removal(r) for r in b['removed'][:max_listed]]
            if len(b['removed']) > max_listed:
                why.append(f'... {len(b["removed"]) - max_listed} more')
            rows.append(f'| {target} | {path} | {len(b["kept"])}/'
                        f'{b["num_options"]} | {len(dom)} | {len(bound)} | '
                        f'{"; ".join(why) or "-"} |')
    return '\n'.join(rows)
