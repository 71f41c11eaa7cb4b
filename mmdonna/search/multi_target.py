"""One NSGA-II search per target, checkpointed together in
``search_state.json``."""
import json
import os
import os.path as osp
import tempfile
from typing import Dict, Optional

import numpy as np
from mmengine.logging import print_log

from mmdonna.utils import config_hash, load_json_artifact
from .arch_objectives import ArchObjectives
from .arch_problem import ArchProblem
from .nsga2 import run_nsga2

STATE_FORMAT = 'mmdonna.search_state.v1'
LIMIT_KEYS = {'latency': 'latency_ms', 'params': 'params', 'flops': 'flops'}


def write_state(path: str, obj: dict) -> None:
    """Atomic (temp file + rename), compact JSON of the search state.

    The state is rewritten every generation: compact JSON encodes about 10x
    faster than the indented files of :func:`atomic_write_json`, and without
    an ``fsync`` per generation a 10,000-evaluation search stays well under
    its time budget. A killed process still leaves the old or the new file,
    never half of one (rename is atomic); the final state is fsync'ed.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix='.' + osp.basename(path) + '.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'w') as f:
            json.dump(obj, f, separators=(',', ':'))
            if obj.get('final'):
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


class SearchError(ValueError):
    """A search that cannot give a front (e.g. an impossible budget)."""


def check_limits(objectives: ArchObjectives, problem: ArchProblem,
                 target: str) -> None:
    """Refuse bounds that no architecture of the filtered space meets.

    Raises:
        SearchError: one line naming the config key, the bound and the
            lowest value reachable.
    """
    for name, bound in objectives.limits.items():
        best = objectives.min_cost(name, problem.kept)
        if best > bound:
            unit = ' ms' if name == 'latency' else ''
            raise SearchError(
                f'search constraints.{LIMIT_KEYS[name]}={bound:g}{unit}: no '
                f'architecture meets it on target {target!r} (the lowest in '
                f'the filtered space is {best:.4g}{unit}); raise the bound')


def problem_hash(problem: ArchProblem, settings: dict) -> str:
    """Hash of what a search state depends on: the filtered space, the
    objectives on a fixed probe of architectures (so any change of library,
    surrogate or LUT shows) and the search settings except ``n_gen`` (a
    longer run continues a shorter one)."""
    rng = np.random.default_rng(0)
    genes = np.stack(
        [rng.integers(0, len(problem.kept[b]), 64)
         for b in problem.free], 1) if problem.n_var else np.zeros(
             (64, 0), dtype=int)
    F, G = problem.evaluate_codes(problem.to_full(genes))
    keep = {k: v for k, v in settings.items() if k != 'n_gen'}
    return config_hash(
        dict(
            kept=[k.tolist() for k in problem.kept],
            F=np.asarray(F).tolist(),
            G=np.asarray(G).tolist(),
            settings=keep))


def search_targets(problems: Dict[str, ArchProblem],
                   settings: dict,
                   state_file: str,
                   stop_after: Optional[int] = None,
                   logger: str = 'current') -> Dict[str, dict]:
    """Search every target, resuming from ``state_file``.

    Args:
        problems (dict): ``{target_id: ArchProblem}``.
        settings (dict): ``pop_size``, ``n_gen``, ``seed``, ``operators``.
        state_file (str): ``search_state.json`` (checkpointed every
            generation, atomically).
        stop_after (int, optional): Stop every target after this generation
            (simulates a kill). Defaults to None.
        logger (str): mmengine logger name. Defaults to 'current'.

    Returns:
        dict: ``{target_id: final state}``; ``archive`` holds the front.

    Raises:
        ArtifactError: a corrupt or foreign ``state_file``.
        SearchError: a target whose front came out empty.
    """
    hashes = {t: problem_hash(p, settings) for t, p in problems.items()}
    digest = config_hash(hashes)
    states = {}
    if osp.exists(state_file):
        data = load_json_artifact(state_file, STATE_FORMAT, digest,
                                  'search state')
        states = data.get('targets', {})
        print_log(
            'search: resuming ' +
            ', '.join(f'{t} at generation {s["generation"]}'
                      for t, s in states.items()), logger)

    def save(final: bool = False):
        write_state(
            state_file,
            dict(
                format=STATE_FORMAT,
                config_hash=digest,
                target_hashes=hashes,
                settings=settings,
                final=final,
                targets=states))

    for t, problem in problems.items():

        def checkpoint(state, t=t):
            states[t] = state
            save()
            if state['generation'] % 10 == 0 or state['done']:
                print_log(
                    f'search {t}: generation {state["generation"]}/'
                    f'{settings["n_gen"]}, {state["n_eval"]} evaluated, '
                    f'front of {len(state["archive"]["codes"])}', logger)

        states[t] = run_nsga2(
            problem,
            pop_size=settings['pop_size'],
            n_gen=settings['n_gen'],
            seed=settings['seed'],
            operators=settings['operators'],
            state=states.get(t),
            checkpoint=checkpoint,
            stop_after=stop_after)
        if stop_after is not None and not states[t]['done']:
            save()
            break
    else:
        save(final=True)
    for t, s in states.items():
        if s['done'] and not s['archive']['codes']:
            raise SearchError(
                f'search on target {t!r} found no architecture meeting '
                f'search constraints {settings.get("constraints")} together; '
                f'relax them')
    return states
