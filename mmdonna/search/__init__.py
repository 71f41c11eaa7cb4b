"""mmdonna.search: pure functions of the search: the exact Pareto front
when the objectives add up over blocks, NSGA-II over the encoded space
(pymoo) otherwise, and hardware-in-the-loop re-measurement. The stages that
run them are :mod:`mmdonna.stages.search`."""
from .arch_objectives import ArchObjectives
from .arch_problem import ArchProblem
from .exact_front import ExactFront, exact_front, nondominated
from .hardware_in_the_loop import code_key, remeasure
from .multi_target import (SearchError, check_limits, choose_algorithm,
                           exact_targets, problem_hash, search_exact,
                           search_targets)
from .nsga2 import build_nsga2, run_nsga2, update_archive
from .search_stages import build_problem, front_entries, target_limits
from .synthetic import synthetic_library

__all__ = [
    'ArchObjectives', 'ArchProblem', 'ExactFront', 'SearchError',
    'build_nsga2', 'build_problem', 'check_limits', 'choose_algorithm',
    'code_key', 'exact_front', 'exact_targets', 'front_entries',
    'nondominated', 'problem_hash', 'remeasure', 'run_nsga2', 'search_exact',
    'search_targets', 'synthetic_library', 'target_limits', 'update_archive'
]
