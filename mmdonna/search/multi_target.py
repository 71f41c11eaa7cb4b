"""The search of every target, saved together in ``search_state.json``:
the exact front when the objectives add up over blocks, NSGA-II (resumable
generation by generation) otherwise."""
import json
import logging
import os
import os.path as osp
import tempfile
import time
from typing import Dict, Optional, Tuple

import numpy as np
from mmengine.logging import print_log

from mmdonna import formats
from mmdonna.filter import pareto_mask
from mmdonna.utils import config_hash, load_json_artifact
from mmdonna.utils.io import ArtifactError
from .arch_objectives import ArchObjectives
from .arch_problem import ArchProblem
from .exact_front import exact_front
from .nsga2 import run_nsga2

STATE_FORMAT = formats.SEARCH_STATE
LIMIT_KEYS = {'latency': 'latency_ms', 'params': 'params', 'flops': 'flops'}
ALGORITHMS = ('auto', 'exact', 'nsga2')


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


def _exact_state(state_file: str, digest: str) -> bool:
    """Whether ``state_file`` holds exact fronts of another problem (cheap
    to recompute, so NSGA-II may replace them)."""
    try:
        data = load_json_artifact(state_file, STATE_FORMAT)
    except ArtifactError:
        return False
    settings = data.get('settings')
    return (isinstance(settings, dict) and settings.get('algorithm') == 'exact'
            and data.get('config_hash') != digest)


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
    if osp.exists(state_file) and _exact_state(state_file, digest):
        print_log(
            f'search: {state_file} holds exact fronts of another search; '
            f'running NSGA-II from the start', logger, logging.WARNING)
    elif osp.exists(state_file):
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


def choose_algorithm(requested: str, surrogate) -> Tuple[str, str]:
    """Which search runs, and why (one line for ``pareto.json`` and the
    report).

    Every constraint (LUT latency, params, FLOPs) adds up over blocks, so the
    surrogate decides: ``'auto'`` runs the exact front when the surrogate
    exposes per-block tables (:meth:`block_tables`), NSGA-II otherwise.

    Args:
        requested (str): ``search.algorithm``: 'auto', 'exact' or
            'nsga2'.
        surrogate: A set-up surrogate.

    Returns:
        tuple: ``('exact' | 'nsga2', reason)``.

    Raises:
        ValueError: 'exact' with a surrogate that does not add up over
            blocks, or an unknown name.
    """
    if requested not in ALGORITHMS:
        raise ValueError(f'search.algorithm={requested!r}; use one of '
                         f'{ALGORITHMS}')
    name = type(surrogate).__name__
    tables = getattr(surrogate, 'block_tables', None)
    additive = callable(tables) and tables() is not None
    if requested == 'nsga2':
        return 'nsga2', "search.algorithm='nsga2' (the papers' search)"
    if requested == 'exact':
        if not additive:
            raise ValueError(
                f"search.algorithm='exact' needs a surrogate that adds up "
                f"over blocks, {name} does not; use 'nsga2' or 'auto'")
        return 'exact', (f"search.algorithm='exact': {name} and every "
                         f'constraint add up over blocks')
    if additive:
        return 'exact', (f"search.algorithm='auto': {name} and every "
                         f'constraint add up over blocks, so the front is '
                         f'exact')
    return 'nsga2', (f"search.algorithm='auto': {name} does not add up "
                     f'over blocks, so NSGA-II samples the front')


def search_exact(objectives: ArchObjectives,
                 kept,
                 latency_eps_ms: Optional[float] = None):
    """Exact front of one target (see
    :func:`~mmdonna.search.exact_front.exact_front`), checked with the
    objectives' own evaluation.

    Returns:
        tuple: codes ``(N, B)`` and objectives ``(N, 2)``, fastest first,
        and the :class:`~mmdonna.search.exact_front.ExactFront`.
    """
    tables = objectives.block_tables()
    if tables is None:
        raise ValueError(f'{type(objectives.surrogate).__name__} does not '
                         f'add up over blocks: the exact front needs a '
                         f'surrogate with block_tables()')
    front = exact_front(*tables, kept=kept, eps=latency_eps_ms)
    codes = front.codes
    if not len(codes):
        return codes, np.zeros((0, 2)), front
    F, G = objectives(codes)
    # the same sums in another order may differ in the last bit: keep what
    # the search's own evaluation calls feasible and non-dominated
    ok = (G <= 1e-12).all(1) if G.size else np.ones(len(codes), dtype=bool)
    codes, F = codes[ok], F[ok]
    keep = pareto_mask(F)
    codes, F = codes[keep], F[keep]
    order = np.lexsort((F[:, 0], F[:, 1]))
    return codes[order], F[order], front


def exact_targets(problems: Dict[str, ArchProblem],
                  objectives: Dict[str, ArchObjectives],
                  settings: dict,
                  state_file: str,
                  logger: str = 'current') -> Dict[str, dict]:
    """Exact front of every target, saved to ``state_file`` (atomically);
    a rerun with the same problems and settings reuses it.

    A state file of another search (NSGA-II, another library or LUT) is
    replaced with a warning: the exact front is recomputed in seconds.

    Args:
        problems (dict): ``{target_id: ArchProblem}`` (the kept options).
        objectives (dict): ``{target_id: ArchObjectives}``.
        settings (dict): ``algorithm``, ``latency_eps_ms`` and
            ``constraints``.
        state_file (str): ``search_state.json``.
        logger (str): mmengine logger name. Defaults to 'current'.

    Returns:
        dict: ``{target_id: state}``; ``archive`` holds the front,
        ``n_eval`` the partial sums formed, ``largest`` the largest partial
        set kept.

    Raises:
        SearchError: a target whose front came out empty.
    """
    hashes = {t: problem_hash(p, settings) for t, p in problems.items()}
    digest = config_hash(hashes)
    if osp.exists(state_file):
        try:
            data = load_json_artifact(state_file, STATE_FORMAT, digest,
                                      'search state')
            if data.get('final') and set(data['targets']) == set(problems):
                print_log(f'search: reusing the exact fronts in {state_file}',
                          logger)
                return data['targets']
        except ArtifactError as e:
            print_log(f'search: {e}; computing the exact front again', logger,
                      logging.WARNING)
    states = {}
    for t, problem in problems.items():
        t0 = time.perf_counter()
        codes, F, front = search_exact(objectives[t], problem.kept,
                                       settings.get('latency_eps_ms'))
        if not len(codes):
            raise SearchError(
                f'search on target {t!r} found no architecture meeting '
                f'search constraints {settings.get("constraints")} together; '
                f'relax them')
        states[t] = dict(
            algorithm='exact',
            done=True,
            n_eval=int(front.evaluated),
            largest=int(front.largest),
            seconds=time.perf_counter() - t0,
            archive=dict(codes=codes.tolist(), F=F.tolist()))
        print_log(
            f'search {t}: exact front of {len(codes)} from '
            f'{problem.size:.3g} architectures ({front.evaluated} partial '
            f'sums, largest set {front.largest})', logger)
    write_state(
        state_file,
        dict(
            format=STATE_FORMAT,
            config_hash=digest,
            target_hashes=hashes,
            settings=settings,
            final=True,
            targets=states))
    return states
