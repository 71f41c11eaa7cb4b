"""NSGA-II (pymoo) over an :class:`ArchProblem`, resumable generation by
generation from a JSON state."""
import math
from typing import Callable, Optional

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.mutation import Mutation
from pymoo.core.population import Population
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.crossover.ux import UniformCrossover
from pymoo.operators.mutation.pm import PM
from pymoo.operators.repair.rounding import RoundingRepair
from pymoo.operators.sampling.rnd import IntegerRandomSampling

from mmdonna.filter import pareto_mask
from mmdonna.utils.io import ArtifactError
from .arch_problem import ArchProblem

OPERATORS = ('ordinal', 'categorical')


class RandomResetMutation(Mutation):
    """Each gene is redrawn uniformly from its range with probability
    ``prob_var`` (default ``1 / n_var``): mutation for categorical genes."""

    def _do(self, problem, X, random_state=None, **kwargs):
        X = np.array(X, dtype=float, copy=True)
        prob_var = self.get_prob_var(problem, size=len(X))
        if np.ndim(prob_var) == 0:
            prob_var = np.full(len(X), prob_var)
        hit = random_state.random(X.shape) < prob_var[:, None]
        draw = random_state.integers(problem.xl, problem.xu + 1, size=X.shape)
        X[hit] = draw[hit]
        return X


def build_nsga2(pop_size: int,
                operators: str = 'ordinal',
                seed: int = 0) -> NSGA2:
    """pymoo's NSGA-II with integer operators.

    Args:
        pop_size (int): Population size.
        operators (str): ``'ordinal'``: SBX crossover and polynomial
            mutation on the gene values, rounded (pymoo's integer recipe; the
            genes are latency-ordered by the KD filter, so nearby values are
            similar options). ``'categorical'``: uniform crossover and random
            reset mutation (no order assumed). Defaults to 'ordinal'.
        seed (int): Seed of pymoo's random generator. Defaults to 0.
    """
    if operators not in OPERATORS:
        raise ValueError(f'search operators={operators!r}; use one of '
                         f'{OPERATORS}')
    if operators == 'ordinal':
        crossover = SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair())
        mutation = PM(eta=20, vtype=float, repair=RoundingRepair())
    else:
        crossover = UniformCrossover(prob=0.9)
        mutation = RandomResetMutation()
    return NSGA2(
        pop_size=pop_size,
        sampling=IntegerRandomSampling(),
        crossover=crossover,
        mutation=mutation,
        eliminate_duplicates=True,
        output=None,
        seed=seed)


# ---- JSON state ----------------------------------------------------------
def rng_to_json(rng: np.random.Generator) -> dict:
    """A numpy Generator's bit-generator state as plain JSON (128-bit
    integers as decimal strings)."""
    st = rng.bit_generator.state
    return dict(
        bit_generator=st['bit_generator'],
        state=[str(st['state']['state']),
               str(st['state']['inc'])],
        has_uint32=int(st['has_uint32']),
        uinteger=int(st['uinteger']))


def rng_from_json(rng: np.random.Generator, data: dict) -> None:
    """Restore :func:`rng_to_json`'s output into ``rng``."""
    if data.get('bit_generator') != rng.bit_generator.state['bit_generator']:
        raise ArtifactError(
            f'search state has a {data.get("bit_generator")} random state, '
            f'this numpy uses {rng.bit_generator.state["bit_generator"]}; '
            f'delete search_state.json to search again')
    rng.bit_generator.state = dict(
        bit_generator=data['bit_generator'],
        state=dict(state=int(data['state'][0]), inc=int(data['state'][1])),
        has_uint32=int(data['has_uint32']),
        uinteger=int(data['uinteger']))


def _to_json(values) -> list:
    """NSGA-II rank / crowding per individual: unset (infeasible) -> None,
    infinite crowding (front extremes) -> 'inf'."""
    out = []
    for v in values:
        if v is None:
            out.append(None)
        elif not math.isfinite(float(v)):
            out.append('inf' if float(v) > 0 else '-inf')
        else:
            out.append(v.item() if hasattr(v, 'item') else v)
    return out


def _from_json(values: list) -> list:
    return [float(v) if isinstance(v, str) else v for v in values]


def update_archive(codes: np.ndarray, F: np.ndarray, new_codes: np.ndarray,
                   new_F: np.ndarray, new_G: np.ndarray):
    """Non-dominated, de-duplicated set of every feasible architecture seen.

    Returns:
        tuple: archive codes and objectives, sorted by latency (column 1).
    """
    feasible = (new_G <= 0).all(1) if new_G.size else np.ones(
        len(new_codes), dtype=bool)
    codes = np.concatenate([codes, new_codes[feasible]])
    F = np.concatenate([F, new_F[feasible]])
    if not len(codes):
        return codes, F
    _, first = np.unique(codes, axis=0, return_index=True)
    first = np.sort(first)
    codes, F = codes[first], F[first]
    keep = pareto_mask(F)
    codes, F = codes[keep], F[keep]
    order = np.lexsort((F[:, 0], F[:, 1]))
    return codes[order], F[order]


def _state(algorithm, problem: ArchProblem, generation: int, n_eval: int,
           archive, done: bool) -> dict:
    pop = algorithm.pop
    G = pop.get('G') if problem.n_ieq_constr else np.zeros((len(pop), 0))
    return dict(
        generation=generation,
        n_eval=n_eval,
        done=done,
        rng=rng_to_json(algorithm.random_state),
        pop=dict(
            codes=problem.to_full(pop.get('X')).tolist(),
            F=pop.get('F').tolist(),
            G=np.asarray(G).tolist(),
            rank=_to_json(pop.get('rank')),
            crowding=_to_json(pop.get('crowding'))),
        archive=dict(codes=archive[0].tolist(), F=archive[1].tolist()))


def _restore(algorithm, problem: ArchProblem, state: dict):
    """Put a saved population and random state back into a set-up
    algorithm; the population is re-evaluated and must give the saved
    objectives."""
    try:
        pop_state = state['pop']
        X = problem.to_genes(np.array(pop_state['codes'], dtype=int))
        pop = Population.new(X=X.astype(float))
        algorithm.evaluator.eval(problem, pop, algorithm=algorithm)
        if not np.allclose(
                pop.get('F'), np.array(pop_state['F']), rtol=1e-9, atol=1e-12):
            raise ArtifactError(
                'search state objectives differ from what the surrogate and '
                'latency tables give now; it belongs to another library or '
                'LUT: delete search_state.json to search again')
        for ind, r, c in zip(pop, _from_json(pop_state['rank']),
                             _from_json(pop_state['crowding'])):
            ind.set('rank', r)
            ind.set('crowding', c)
        rng_from_json(algorithm.random_state, state['rng'])
        archive = (np.array(state['archive']['codes'],
                            dtype=int).reshape(-1, len(problem.kept)),
                   np.array(state['archive']['F'],
                            dtype=float).reshape(-1, problem.n_obj))
        generation = int(state['generation'])
        n_eval = int(state['n_eval'])
    except (KeyError, TypeError, ValueError) as e:
        if isinstance(e, ArtifactError):
            raise
        raise ArtifactError(
            f'search state is missing or has a malformed field ({e!r}); '
            f'delete search_state.json to search again') from None
    algorithm.pop = pop
    algorithm.is_initialized = True
    algorithm.n_iter = generation + 1
    return generation, n_eval, archive


def run_nsga2(problem: ArchProblem,
              pop_size: int,
              n_gen: int,
              seed: int = 0,
              operators: str = 'ordinal',
              state: Optional[dict] = None,
              checkpoint: Optional[Callable[[dict], None]] = None,
              stop_after: Optional[int] = None) -> dict:
    """Run (or continue) NSGA-II for ``n_gen`` generations.

    After every generation ``checkpoint(state)`` receives a JSON-able state
    (population codes in full indexing, objectives, constraints, NSGA-II
    rank and crowding, the random state, the archive of non-dominated
    feasible architectures seen so far). Passing that state back continues
    the run exactly: same seed, same front as without the interruption.

    Args:
        problem (ArchProblem): The problem.
        pop_size (int): Population size.
        n_gen (int): Generations in all (the initial population is
            generation 1).
        seed (int): Seed. Defaults to 0.
        operators (str): See :func:`build_nsga2`. Defaults to 'ordinal'.
        state (dict, optional): A checkpointed state to continue.
            Defaults to None.
        checkpoint (Callable, optional): Called with the state after each
            generation. Defaults to None.
        stop_after (int, optional): Stop (not done) once this generation is
            reached, as a kill would. Defaults to None.

    Returns:
        dict: The last state; ``archive`` holds the front.
    """
    if pop_size < 2:
        raise ValueError(f'search pop_size={pop_size} must be >= 2')
    if n_gen < 1:
        raise ValueError(f'search n_gen={n_gen} must be >= 1')
    B = len(problem.kept)
    if problem.n_var == 0:  # one architecture: nothing to search
        codes = problem.fixed_code[None]
        F, G = problem.evaluate_codes(codes)
        archive = update_archive(
            np.zeros((0, B), int), np.zeros((0, problem.n_obj)), codes,
            np.asarray(F), np.asarray(G))
        return dict(
            generation=n_gen,
            n_eval=1,
            done=True,
            rng=None,
            pop=dict(
                codes=codes.tolist(),
                F=np.asarray(F).tolist(),
                G=np.asarray(G).tolist(),
                rank=[0],
                crowding=['inf']),
            archive=dict(codes=archive[0].tolist(), F=archive[1].tolist()))
    algorithm = build_nsga2(pop_size, operators, seed)
    algorithm.setup(problem, termination=('n_gen', 10**9), seed=seed)
    generation, n_eval = 0, 0
    archive = (np.zeros((0, B), dtype=int), np.zeros((0, problem.n_obj)))
    if state is not None:
        if state.get('done') and int(state['generation']) >= n_gen:
            return state
        generation, n_eval, archive = _restore(algorithm, problem, state)
    done = False
    while generation < n_gen:
        if stop_after is not None and generation >= stop_after:
            break
        off = algorithm.ask()
        if off is None or len(off) == 0:  # the space is exhausted
            done = True
            break
        algorithm.evaluator.eval(problem, off, algorithm=algorithm)
        algorithm.tell(infills=off)
        generation += 1
        n_eval += len(off)
        G = off.get('G') if problem.n_ieq_constr else np.zeros((len(off), 0))
        archive = update_archive(archive[0], archive[1],
                                 problem.to_full(off.get('X')), off.get('F'),
                                 np.asarray(G))
        done = generation >= n_gen
        if checkpoint is not None:
            checkpoint(
                _state(algorithm, problem, generation, n_eval, archive, done))
    return _state(algorithm, problem, generation, n_eval, archive, done)
