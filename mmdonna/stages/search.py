"""The search stages as plain functions over a :class:`StageContext`: the
latency LUT of every target, the KD filter, the search of every target and
hardware in the loop (``pareto.json``). Each skips its work when its
work-dir artefact is valid."""
import copy
import logging
import os.path as osp
import time
from typing import Dict, Optional, Sequence

from mmengine.logging import print_log

from mmdonna import formats
from mmdonna.library import BlockLibrary
from mmdonna.search import (check_limits, choose_algorithm, code_key,
                            exact_targets, problem_hash, remeasure,
                            search_targets)
from mmdonna.search.latency_source import target_latency, teacher_cost
from mmdonna.search.search_stages import (build_problem, front_entries,
                                          measured_value, target_limits,
                                          teacher_surrogate)
from mmdonna.supernet.arch_model import build_arch_model
from mmdonna.supernet.latency_forward import LatencyForward
from mmdonna.surrogate import OneShotData, OneShotQuality
from mmdonna.utils import atomic_write_json, config_hash, load_json_artifact
from mmdonna.utils.io import ArtifactError
from mmdonna.visualization import lut_error
from .stage_context import StageContext
from .validate import check_search, registered

#: Work-dir files of the search stages (a Runner's loop may rename them).
FILES = dict(
    library='block_library.json',
    filter='filtered_space.json',
    state='search_state.json',
    measurements='hil_measurements.json',
    pareto='pareto.json')


def nsga2_settings(search: dict) -> dict:
    return dict(
        pop_size=int(search['pop_size']),
        n_gen=int(search['n_gen']),
        seed=int(search['seed']),
        operators=search['operators'],
        constraints=copy.deepcopy(search['constraints']))


def exact_settings(search: dict) -> dict:
    eps = search['latency_eps_ms']
    return dict(
        algorithm='exact',
        latency_eps_ms=None if eps is None else float(eps),
        constraints=copy.deepcopy(search['constraints']))


def _file(ctx: StageContext, key: str) -> str:
    return ctx.path(getattr(ctx, 'files', FILES)[key])


def library(ctx: StageContext) -> BlockLibrary:
    """The block library of the supernet's space (``ctx.library``)."""
    if ctx.library is None:
        path = _file(ctx, 'library')
        if not osp.exists(path):
            raise FileNotFoundError(
                f'{path} does not exist: run BKD first (tools/search.py '
                f'CONFIG runs every stage)')
        ctx.library = BlockLibrary.load(path, ctx.build_supernet().space)
    return ctx.library


def lut(ctx: StageContext) -> Dict[str, dict]:
    """The latency LUT of every target (built or finished when it is
    missing or incomplete). Sets ``ctx.latency``."""
    t0 = time.time()
    model = ctx.build_supernet()
    latency = target_latency(
        ctx.settings['latency'],
        ctx.work_dir,
        model,
        ctx.logger,
        before_build=lambda path: ctx.may_run('lut', path))
    ctx.latency = latency
    reused = all(v['reused'] for v in latency.values())
    ctx.row(
        'latency LUT', 'skipped' if reused else 'done',
        ', '.join(f'{v["lut_file"]} ({v["metric"]}, teacher '
                  f'{v["teacher_ms"]:.3f} ms)' for v in latency.values()), t0)
    return latency


def kd_filter(ctx: StageContext) -> dict:
    """The KD filter of every target (``filtered_space.json``), the
    surrogate set up on the library, and each target's search problem.
    Sets ``ctx.search``."""
    t0 = time.time()
    model = ctx.build_supernet()
    space = model.space
    lib = library(ctx)
    check_search(ctx.settings['search'])
    filt = registered(ctx.settings['filter'], 'donna.filter')
    filtered = filt.run(lib, ctx.latency, _file(ctx, 'filter'), ctx.logger)
    surrogate = registered(ctx.settings['surrogate'], 'donna.surrogate')
    if isinstance(surrogate, OneShotQuality):  # scores assembled subnets
        surrogate.bind(model, OneShotData(ctx.teacher_cfg))
    surrogate.setup(lib, ctx.work_dir)
    fixed = teacher_cost(model, lib)
    constraints = ctx.settings['search']['constraints']
    problems, objectives = {}, {}
    for t, lat in ctx.latency.items():
        kept = [filtered['targets'][t][p]['kept'] for p in space.paths]
        objectives[t], problems[t] = build_problem(
            lib, (lat['tables'], lat['offset']), kept, surrogate,
            fixed['rest'], target_limits(constraints, t))
        check_limits(objectives[t], problems[t], t)
    algorithm, reason = choose_algorithm(ctx.settings['search']['algorithm'],
                                         surrogate)
    search = ctx.settings['search']
    settings = (
        exact_settings(search)
        if algorithm == 'exact' else nsga2_settings(search))
    choice = dict(
        algorithm=algorithm,
        reason=reason,
        latency_eps_ms=settings.get('latency_eps_ms'))
    ctx.search = dict(
        filtered=filtered,
        surrogate=surrogate,
        teacher_surrogate=teacher_surrogate(surrogate, space),
        fixed=fixed,
        problems=problems,
        objectives=objectives,
        choice=choice,
        settings=settings)
    ctx.search['pareto_hash'] = config_hash(
        dict(
            problems={
                t: problem_hash(p, settings)
                for t, p in problems.items()
            },
            settings=settings,
            search=choice,
            metric=surrogate.metric_name,
            targets={
                t: lat['meta']
                for t, lat in ctx.latency.items()
            },
            hil=search['hardware_in_the_loop']))
    kept = ', '.join(f'{t}: {p.size} of {space.size} architectures kept'
                     for t, p in problems.items())
    ctx.row('filter', 'skipped' if filt.reused else 'done', kept, t0)
    return filtered


def _valid_pareto(ctx: StageContext) -> Optional[dict]:
    path = _file(ctx, 'pareto')
    if not osp.exists(path):
        return None
    try:
        return load_json_artifact(path, formats.PARETO,
                                  ctx.search['pareto_hash'], 'pareto file')
    except ArtifactError as e:
        print_log(f'search: {e}; searching again', ctx.logger, logging.WARNING)
        return None


def search(ctx: StageContext) -> Dict[str, dict]:
    """The exact front or NSGA-II of every target (``search_state.json``,
    resumed), or nothing when ``pareto.json`` is up to date. Sets
    ``ctx.search['states']``."""
    t0 = time.time()
    s = ctx.search
    ctx.pareto = _valid_pareto(ctx)
    if ctx.pareto is not None:
        ctx.row('search', 'skipped', _file(ctx, 'pareto'))
        return {}
    choice = s['choice']
    if choice['algorithm'] == 'exact':
        states = exact_targets(s['problems'], s['objectives'], s['settings'],
                               _file(ctx, 'state'), ctx.logger)
        detail = 'exact front'
        if choice['latency_eps_ms'] is not None:
            detail += f' (latency grid {choice["latency_eps_ms"]:g} ms)'
        detail += ': ' + ', '.join(
            f'{t}: front of {len(st["archive"]["codes"])} from '
            f'{s["problems"][t].size:.3g} architectures ({st["n_eval"]} '
            f'partial sums)' for t, st in states.items())
    else:
        states = search_targets(
            s['problems'],
            s['settings'],
            _file(ctx, 'state'),
            logger=ctx.logger)
        detail = 'NSGA-II: ' + ', '.join(
            f'{t}: {st["generation"]} generations, {st["n_eval"]} '
            f'evaluated, front of {len(st["archive"]["codes"])}'
            for t, st in states.items())
    s['states'] = states
    ctx.row('search', 'done', f'{detail}; {choice["reason"]}', t0)
    return states


def _measure(ctx: StageContext, fronts: Dict[str, list]) -> dict:
    model = ctx.build_supernet()
    input_shape = (1, *model.input_shape)

    def build(code: Optional[Sequence[int]]):
        net = model.teacher if code is None else build_arch_model(
            model.teacher, model.space, code)
        return LatencyForward(net).eval()

    latency = ctx.latency
    jobs = {
        t: [None] + [a['code'] for a in front]
        for t, front in fronts.items()
    }
    key = dict(
        space=model.space.fingerprint(),
        input_shape=input_shape,
        targets={t: latency[t]['meta']
                 for t in fronts})
    scope = LatencyForward(model.teacher).scope
    if scope != 'model':  # measurements of whole models keep their digest
        key['scope'] = scope
    digest = config_hash(key)
    return remeasure(jobs, build, {t: latency[t]['estimator']
                                   for t in fronts}, input_shape,
                     _file(ctx, 'measurements'), digest,
                     next(iter(latency.values()))['metric'], ctx.logger)


def hil(ctx: StageContext) -> dict:
    """Hardware in the loop: every front architecture and the teacher
    measured as whole models on every target, then ``pareto.json`` (the
    measured latency is the LUT's statistic, e.g. ``min_ms``, everywhere).
    Sets ``ctx.pareto``."""
    t0 = time.time()
    if ctx.pareto is not None:
        ctx.row('hardware in the loop', 'skipped', _file(ctx, 'pareto'))
        return ctx.pareto
    ctx.may_run('hil', _file(ctx, 'pareto'))
    s = ctx.search
    if 'states' not in s:
        search(ctx)
    model = ctx.build_supernet()
    space = model.space
    fronts = {
        t:
        front_entries(t, s['states'][t]['archive']['codes'],
                      s['objectives'][t], space)
        for t in s['problems']
    }
    do_hil = ctx.settings['search']['hardware_in_the_loop']
    measured = _measure(ctx, fronts) if do_hil else {}
    targets = {}
    for t, front in fronts.items():
        lat = ctx.latency[t]
        metric = lat['metric']
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
                latency_lut_ms=float(lat['offset'] + lat['teacher'].sum()),
                surrogate=s['teacher_surrogate'],
                params=s['fixed']['teacher']['params'],
                flops=s['fixed']['teacher']['flops']),
            generations=s['states'][t].get('generation'),
            evaluated=s['states'][t]['n_eval'],
            filtered_size=s['problems'][t].size,
            front=front,
            lut_error=lut_error([a['latency_lut_ms'] for a in front],
                                [a['latency_measured_ms'] for a in front]))
    pareto = dict(
        format=formats.PARETO,
        config_hash=s['pareto_hash'],
        metric_name=s['surrogate'].metric_name,
        space_size=space.size,
        search=s['choice'],
        settings=s['settings'],
        hardware_in_the_loop=do_hil,
        # what a whole-model latency covers (LatencyForward)
        latency_scope=LatencyForward(model.teacher).scope,
        targets=targets)
    atomic_write_json(_file(ctx, 'pareto'), pareto)
    ctx.pareto = pareto
    detail = ', '.join(f'{t}: front of {len(v["front"])}'
                       for t, v in targets.items())
    if do_hil:
        detail += f', {len(measured)} whole models measured'
    ctx.row('hardware in the loop', 'done' if do_hil else 'skipped',
            f'{detail} -> {_file(ctx, "pareto")}', t0)
    return pareto
