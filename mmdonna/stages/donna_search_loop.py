"""DonnaSearchLoop: the search stages under an MMEngine Runner."""
import copy
from typing import Optional

from mmengine.runner import BaseLoop

from mmdonna.registry import LOOPS
from mmdonna.search.main_process import run_on_main_process
from .derive import DEFAULTS, donna_settings, is_donna_config
from .report import report
from .search import FILES, check_search, hil, kd_filter, lut, search
from .stage_context import StageContext


@LOOPS.register_module()
class DonnaSearchLoop(BaseLoop):
    """The search of :mod:`mmdonna.stages.search` for a Runner whose model is
    a trained supernet (``tools/search.py`` calls the same functions without
    a Runner).

    ``run()`` builds or loads the latency LUT of every target, applies the
    KD filter, searches every target (the exact front or NSGA-II), measures
    the fronts as whole models and writes ``pareto.json``, the plots and
    ``report.md`` in the work dir; each step is skipped when its artefact is
    valid. Rank 0 does the work; the other ranks receive the result.

    The latency targets, surrogate and KD filter come from the config's
    ``donna`` section, else from its top-level ``latency``, ``surrogate``
    and ``kd_filter`` keys; the search settings are this loop's.

    Args:
        runner (Runner): The runner; its model is the BKD supernet.
        dataloader (dict, optional): Unused (the search reads no data).
            Defaults to None.
        algorithm (str): 'auto', 'exact' or 'nsga2'. Defaults to 'auto'.
        latency_eps_ms (float, optional): Latency grid of the exact search.
            Defaults to None.
        pop_size (int): NSGA-II population. Defaults to 64.
        n_gen (int): NSGA-II generations. Defaults to 40.
        seed (int): Search seed. Defaults to 0.
        operators (str): 'ordinal' or 'categorical'. Defaults to 'ordinal'.
        constraints (dict, optional): Bounds ``latency_ms``, ``params``,
            ``flops``. Defaults to None.
        hardware_in_the_loop (bool): Measure the fronts as whole models.
            Defaults to True.
        num_random_samples (int): Random architectures in ``pareto.png``.
            Defaults to 1000.
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
                 library_file: str = FILES['library'],
                 filter_file: str = FILES['filter'],
                 state_file: str = FILES['state'],
                 measurements_file: str = FILES['measurements'],
                 pareto_file: str = FILES['pareto']):
        super().__init__(runner, None)
        self.search_settings = dict(
            algorithm=algorithm,
            latency_eps_ms=latency_eps_ms,
            constraints=copy.deepcopy(constraints),
            pop_size=pop_size,
            n_gen=n_gen,
            seed=seed,
            operators=operators,
            hardware_in_the_loop=hardware_in_the_loop,
            num_random_samples=num_random_samples)
        try:
            check_search(self.search_settings)
        except ValueError as e:
            raise ValueError(str(e).replace('donna.search.',
                                            'train_cfg.')) from None
        self.files = dict(
            library=library_file,
            filter=filter_file,
            state=state_file,
            measurements=measurements_file,
            pareto=pareto_file)
        self.stage_log = []

    # A Runner sets up its optimizer wrapper with these before ``run``; the
    # search steps no optimizer and has no iterations.
    iter = 0
    max_iters = 0

    def settings(self) -> dict:
        cfg = self.runner.cfg
        if is_donna_config(cfg):
            s = donna_settings(cfg)
        else:
            s = copy.deepcopy(DEFAULTS)
            s['latency'] = copy.deepcopy(cfg.get('latency'))
            for key, name in (('surrogate', 'surrogate'), ('filter',
                                                           'kd_filter')):
                if cfg.get(name):
                    s[key] = copy.deepcopy(cfg.get(name))
        s['search'] = copy.deepcopy(self.search_settings)
        return s

    def run(self) -> dict:
        """Search on rank 0; every rank gets ``pareto.json``'s content."""

        def work():
            model = self.runner.model
            ctx = StageContext(
                self.runner.cfg,
                self.runner.work_dir,
                logger=self.runner.logger.instance_name,
                settings=self.settings())
            ctx.files = self.files
            ctx.supernet = getattr(model, 'module', model)
            for step in (lut, kd_filter, search, hil, report):
                step(ctx)
            return ctx.pareto, ctx.rows

        pareto, self.stage_log = run_on_main_process(work, 'search')
        return pareto
