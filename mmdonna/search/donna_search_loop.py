"""DonnaSearchLoop: the search stage as a thin MMEngine loop."""
import copy
import logging
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log
from mmengine.runner import BaseLoop

from mmdonna.registry import LOOPS, TASK_UTILS
from mmdonna.utils import atomic_write_json, config_hash, load_json_artifact
from mmdonna.utils.io import ArtifactError
from .hardware_in_the_loop import code_key, remeasure
from .latency_source import target_latency, teacher_cost
from .main_process import run_on_main_process
from .multi_target import (ALGORITHMS, check_limits, choose_algorithm,
                           exact_targets, problem_hash, search_targets)
from .nsga2 import OPERATORS
from .search_stages import (build_problem, front_entries, measured_value,
                            random_samples, target_limits, teacher_surrogate)

PARETO_FORMAT = 'mmdonna.pareto.v1'


@LOOPS.register_module()
class DonnaSearchLoop(BaseLoop):
    """DONNAv2 search over the block library, one front per target.

    ``run()`` calls pure functions in order, each skipped when its work-dir
    artefact is valid: load ``block_library.json`` (from BKD), the latency
    LUT (built when missing), the KD filter (``filtered_space.json``),
    the search per target (``search_state.json``: the exact front when the
    surrogate and constraints add up over blocks, else NSGA-II checkpointed
    every generation), hardware-in-the-loop re-measurement of every front
    architecture and the teacher (``hil_measurements.json``), then
    ``pareto.json``, ``pareto.png``, ``block_library.png`` and
    ``report.md``. Rank 0 does the work; other ranks wait and receive the
    result.

    The surrogate, KD filter and latency targets come from the config's
    top-level ``surrogate``, ``kd_filter`` and ``latency`` keys.

    Args:
        runner (Runner): The runner; its model is the BKD supernet.
        dataloader (dict, optional): Unused (the search reads no data); the
            runner passes its train dataloader. Defaults to None.
        algorithm (str): 'exact' (the exact Pareto front, block by block;
            needs a surrogate that adds up over blocks), 'nsga2' (the
            papers' search), or 'auto': exact when the surrogate adds up over
            blocks (every constraint does), NSGA-II otherwise. Defaults to
            'auto'.
        latency_eps_ms (float, optional): Latency grid of the exact search
            for very large fronts: every exact-front architecture keeps one
            with a surrogate no worse and at most this much slower. Defaults
            to None (exact).
        pop_size (int): NSGA-II population. Defaults to 64.
        n_gen (int): NSGA-II generations (the initial population counts as
            one). Defaults to 40.
        seed (int): Search seed. Defaults to 0.
        operators (str): 'ordinal' or 'categorical' (see
            :func:`mmdonna.search.nsga2.build_nsga2`). Defaults to 'ordinal'.
        constraints (dict, optional): Upper bounds ``latency_ms`` (a number,
            or ``{target_id: ms}``), ``params``, ``flops`` (whole network).
            Defaults to None.
        hardware_in_the_loop (bool): Re-measure the fronts as whole models.
            Defaults to True.
        num_random_samples (int): Random architectures drawn for
            ``pareto.png``. Defaults to 1000.
        library_file (str): Defaults to 'block_library.json'.
        filter_file (str): Defaults to 'filtered_space.json'.
        state_file (str): Defaults to 'search_state.json'.
        measurements_file (str): Defaults to 'hil_measurements.json'.
        pareto_file (str): Defaults to 'pareto.json'.
    """

    def __init__(self,
                 runner,
                 dataloader: Optional[dict] = None,
                 algorithm: str = 'auto',
                 latency_eps_ms: Optional[float] = None,
                 pop_size: int = 64,
                 n_gen: int = 40,
                 seed: int = 0,
                 operators: str = 'ordinal',
                 constraints: Optional[dict] = None,
                 hardware_in_the_loop: bool = True,
                 num_random_samples: int = 1000,
                 library_file: str = 'block_library.json',
                 filter_file: str = 'filtered_space.json',
                 state_file: str = 'search_state.json',
                 measurements_file: str = 'hil_measurements.json',
                 pareto_file: str = 'pareto.json'):
        super().__init__(runner, None)
        if algorithm not in ALGORITHMS:
            raise ValueError(f'train_cfg.algorithm={algorithm!r}; use one of '
                             f'{ALGORITHMS}')
        if latency_eps_ms is not None and not latency_eps_ms > 0:
            raise ValueError(f'train_cfg.latency_eps_ms={latency_eps_ms} '
                             f'must be > 0 (or None)')
        if operators not in OPERATORS:
            raise ValueError(f'train_cfg.operators={operators!r}; use one of '
                             f'{OPERATORS}')
        if pop_size < 2 or n_gen < 1:
            raise ValueError(f'train_cfg.pop_size={pop_size} must be >= 2 '
                             f'and train_cfg.n_gen={n_gen} >= 1')
        self.settings = dict(
            pop_size=int(pop_size),
            n_gen=int(n_gen),
            seed=int(seed),
            operators=operators,
            constraints=copy.deepcopy(constraints))
        target_limits(constraints, '')  # unknown keys fail now
        self.algorithm = algorithm
        self.exact_settings = dict(
            algorithm='exact',
            latency_eps_ms=None
            if latency_eps_ms is None else float(latency_eps_ms),
            constraints=copy.deepcopy(constraints))
        # which search ran and why (set by search())
        self.search_choice: Optional[dict] = None
        self.hardware_in_the_loop = hardware_in_the_loop
        self.num_random_samples = num_random_samples
        self.files = dict(
            library=library_file,
            filter=filter_file,
            state=state_file,
            measurements=measurements_file,
            pareto=pareto_file)
        self._iter = 0
        self.result: Optional[dict] = None
        self.teacher_surrogate: Optional[float] = None
        self.stage_log: List[Tuple[str, str, str]] = []

    # MMEngine reads these from the train loop.
    @property
    def iter(self) -> int:
        return self._iter

    @property
    def epoch(self) -> int:
        return 0

    @property
    def max_iters(self) -> int:
        return self.settings['n_gen']

    @property
    def max_epochs(self) -> int:
        return 1

    def path(self, key: str) -> str:
        return osp.join(self.runner.work_dir, self.files[key])

    # ---- run -------------------------------------------------------------
    def run(self) -> dict:
        """Search on rank 0; every rank gets ``pareto.json``'s content (and
        the stage log)."""
        self.result, self.stage_log = run_on_main_process(
            lambda: (self.search(), self.stage_log), 'search')
        self._iter = self.settings['n_gen']
        return self.result

    def search(self) -> dict:
        """Every step on this process; returns ``pareto.json``'s content."""
        from mmdonna.library import BlockLibrary
        model = self.runner.model
        model = getattr(model, 'module', model)
        space = model.space
        cfg = self.runner.cfg
        logger = self.runner.logger.instance_name
        self.stage_log = []
        lib_file = self.path('library')
        if not osp.exists(lib_file):
            raise FileNotFoundError(
                f'{lib_file} does not exist: run BKD first (python '
                f'tools/search.py CONFIG runs every stage)')
        library = BlockLibrary.load(lib_file, space)

        t0 = time.time()
        latency = target_latency(cfg, self.runner.work_dir, model, logger)
        self.log_stage(
            'latency LUT', all(v['reused'] for v in latency.values()), t0,
            ', '.join(f'{t} ({v["metric"]}, teacher {v["teacher_ms"]:.3f} ms)'
                      for t, v in latency.items()))

        t0 = time.time()
        kd_filter = TASK_UTILS.build(
            copy.deepcopy(
                cfg.get('kd_filter') or dict(type='mmdonna.KDFilter')))
        filtered = kd_filter.run(library, latency, self.path('filter'), logger)
        surrogate = TASK_UTILS.build(
            copy.deepcopy(
                cfg.get('surrogate') or dict(type='mmdonna.BlockLossSum')))
        surrogate.setup(library, self.runner.work_dir)
        self.teacher_surrogate = teacher_surrogate(surrogate, space)
        fixed = teacher_cost(model, library)
        problems, objectives = {}, {}
        for t, lat in latency.items():
            kept = [filtered['targets'][t][p]['kept'] for p in space.paths]
            objectives[t], problems[t] = build_problem(
                library, (lat['tables'], lat['offset']), kept, surrogate,
                fixed['rest'], target_limits(self.settings['constraints'], t))
            check_limits(objectives[t], problems[t], t)
        self.log_stage(
            'filter', kd_filter.reused, t0,
            ', '.join(f'{t}: {p.size} of {space.size} architectures kept'
                      for t, p in problems.items()))

        algorithm, reason = choose_algorithm(self.algorithm, surrogate)
        settings = (
            self.exact_settings if algorithm == 'exact' else self.settings)
        self.search_choice = dict(
            algorithm=algorithm,
            reason=reason,
            latency_eps_ms=settings.get('latency_eps_ms'))
        pareto_hash = config_hash(
            dict(
                problems={
                    t: problem_hash(p, settings)
                    for t, p in problems.items()
                },
                settings=settings,
                search=self.search_choice,
                metric=surrogate.metric_name,
                targets={
                    t: lat['meta']
                    for t, lat in latency.items()
                },
                hil=self.hardware_in_the_loop))
        pareto = None
        if osp.exists(self.path('pareto')):
            try:
                pareto = load_json_artifact(
                    self.path('pareto'), PARETO_FORMAT, pareto_hash,
                    'pareto file')
            except ArtifactError as e:
                print_log(f'search: {e}; searching again', logger,
                          logging.WARNING)
        if pareto is not None:
            print_log(f'search: {self.path("pareto")} is up to date', logger)
            self.stage_log += [('search', 'skipped', self.path('pareto')),
                               ('hardware in the loop', 'skipped',
                                self.path('pareto'))]
        else:
            pareto = self.search_and_measure(model, library, latency, problems,
                                             objectives, fixed,
                                             surrogate.metric_name,
                                             pareto_hash, logger)
        t0 = time.time()
        self.write_outputs(library, latency, objectives, filtered, pareto,
                           surrogate.metric_name)
        self.log_stage('plots and report', False, t0,
                       'pareto.png, block_library.png, report.md')
        self.write_report()
        return pareto

    def search_and_measure(self, model, library, latency: dict, problems: dict,
                           objectives: dict, fixed: dict, metric_name: str,
                           pareto_hash: str, logger: str) -> dict:
        """The search per target, hardware in the loop, ``pareto.json``."""
        from mmdonna.visualization import lut_error
        space = model.space
        states = self.run_search(problems, objectives, logger)
        fronts = {
            t:
            front_entries(t, states[t]['archive']['codes'], objectives[t],
                          space)
            for t in problems
        }
        measured = {}
        if self.hardware_in_the_loop:
            t0 = time.time()
            measured = self.remeasure(model, latency, fronts, logger)
            self.log_stage('hardware in the loop', False, t0,
                           f'{len(measured)} whole models measured')
        targets = {}
        for t, front in fronts.items():
            metric = latency[t]['metric']
            for a in front:
                res = measured.get(code_key(t, a['code']))
                a['latency_measured_ms'] = measured_value(res, metric)
                a['latency_measured_std_ms'] = measured_value(res, 'std_ms')
                if res is not None and not res.get('ok'):
                    a['measure_error'] = res.get('error')
            teacher = measured.get(code_key(t, None))
            targets[t] = dict(
                metric=metric,
                teacher=dict(
                    latency_measured_ms=measured_value(teacher, metric),
                    # the LUT's own prediction for the teacher's blocks
                    latency_lut_ms=float(latency[t]['offset'] +
                                         latency[t]['teacher'].sum()),
                    surrogate=self.teacher_surrogate,
                    params=fixed['teacher']['params'],
                    flops=fixed['teacher']['flops']),
                generations=states[t].get('generation'),
                evaluated=states[t]['n_eval'],
                filtered_size=problems[t].size,
                front=front,
                lut_error=lut_error([a['latency_lut_ms'] for a in front],
                                    [a['latency_measured_ms'] for a in front]))
        pareto = dict(
            format=PARETO_FORMAT,
            config_hash=pareto_hash,
            metric_name=metric_name,
            space_size=space.size,
            search=self.search_choice,
            settings=self.settings if self.search_choice['algorithm']
            == 'nsga2' else self.exact_settings,
            hardware_in_the_loop=self.hardware_in_the_loop,
            targets=targets)
        atomic_write_json(self.path('pareto'), pareto)
        print_log(
            'search: ' + ', '.join(f'{t}: front of {len(v["front"])}'
                                   for t, v in targets.items()) +
            f' -> {self.path("pareto")}', logger)
        return pareto

    def run_search(self, problems: dict, objectives: dict,
                   logger: str) -> Dict[str, dict]:
        """The exact front or NSGA-II of every target (``search_state.json``),
        as :meth:`search` chose."""
        t0 = time.time()
        choice = self.search_choice
        if choice['algorithm'] == 'exact':
            states = exact_targets(problems, objectives, self.exact_settings,
                                   self.path('state'), logger)
            grid = choice['latency_eps_ms']
            detail = 'exact front'
            if grid is not None:
                detail += f' (latency grid {grid:g} ms)'
            detail += ': ' + ', '.join(
                f'{t}: front of {len(s["archive"]["codes"])} from '
                f'{problems[t].size:.3g} architectures ({s["n_eval"]} partial '
                f'sums)' for t, s in states.items())
        else:
            states = search_targets(
                problems, self.settings, self.path('state'), logger=logger)
            detail = 'NSGA-II: ' + ', '.join(
                f'{t}: {s["generation"]} generations, {s["n_eval"]} '
                f'evaluated, front of {len(s["archive"]["codes"])}'
                for t, s in states.items())
        self.log_stage('search', False, t0, f'{detail}; {choice["reason"]}')
        return states

    def log_stage(self, stage: str, reused: bool, t0: float,
                  detail: str) -> None:
        status = 'skipped' if reused else 'done'
        self.stage_log.append(
            (stage, status, f'{detail} ({time.time() - t0:.1f} s)'))

    def write_report(self) -> None:
        from .search_report import write_search_report
        write_search_report(self.runner.work_dir, self.stage_log,
                            self.files['pareto'], self.files['filter'])

    def remeasure(self, model, latency: Dict[str, dict],
                  fronts: Dict[str, list], logger: str) -> dict:
        from mmdonna.export import TensorForward, build_arch_model
        input_shape = (1, *model.input_shape)

        def build(code: Optional[Sequence[int]]):
            if code is None:
                net = model.teacher
            else:
                net = build_arch_model(model.teacher, model.space, code)
            return TensorForward(net).eval()

        jobs = {
            t: [None] + [a['code'] for a in front]
            for t, front in fronts.items()
        }
        digest = config_hash(
            dict(
                space=model.space.fingerprint(),
                input_shape=input_shape,
                targets={t: latency[t]['meta']
                         for t in fronts}))
        return remeasure(jobs, build,
                         {t: latency[t]['estimator']
                          for t in fronts}, input_shape,
                         self.path('measurements'), digest,
                         next(iter(latency.values()))['metric'], logger)

    def write_outputs(self, library, latency: Dict[str,
                                                   dict], objectives: dict,
                      filtered: dict, pareto: dict, metric_name: str) -> None:
        """``pareto.png``, ``block_library.png`` and ``report.md``."""
        from mmdonna.visualization import plot_block_library, plot_pareto
        work_dir = self.runner.work_dir
        space = library.space
        fronts, samples, teacher = {}, {}, {}
        for t, entry in pareto['targets'].items():
            front = entry['front']
            fronts[t] = dict(
                latency_lut=[a['latency_lut_ms'] for a in front],
                surrogate=[a['surrogate'] for a in front],
                latency_measured=[a['latency_measured_ms'] for a in front])
            samples[t] = random_samples(space, objectives[t],
                                        self.num_random_samples,
                                        self.settings['seed'])
            teacher[t] = (entry['teacher']['latency_measured_ms'],
                          entry['teacher']['surrogate'])
        plot_pareto(
            osp.join(work_dir, 'pareto.png'), fronts, samples, teacher,
            metric_name)
        first = next(iter(latency))
        plot_block_library(
            osp.join(work_dir,
                     'block_library.png'), library, latency[first]['tables'],
            [filtered['targets'][first][p]['kept'] for p in space.paths],
            first)
