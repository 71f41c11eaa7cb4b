"""The predictor stage (DONNA): finetune sampled architectures under one
budget (or score them one-shot), fit the linear predictor and report how
well the surrogates rank them (``predictor/report.json``)."""
import copy
import json
import os.path as osp
import time

from mmengine.config import Config
from mmengine.logging import print_log

from mmdonna import formats
from mmdonna.export import export_subnet
from mmdonna.export.subnet_export import calibration_loader
from mmdonna.surrogate import OneShotData, one_shot_metric
from mmdonna.surrogate.predictor_data import (PREDICTOR_KEYS, SOURCES,
                                              ranking_report, sample_codes)
from mmdonna.utils import atomic_write_json, load_json_artifact
from .derive import DEFAULTS
from .errors import DonnaConfigError
from .quiet_runner import build_runner
from .run_once import recalibrated_val, val_metrics
from .search import library
from .stage_context import StageContext


def finetune_accuracy(subnet_py: str,
                      work_dir: str,
                      overrides: dict,
                      metric: str,
                      bn_batches: int = 0,
                      verbose: bool = False) -> float:
    """Finetune one exported subnet with a stock Runner and return its
    validation ``metric`` (after re-estimating its BN statistics on
    ``bn_batches`` training batches)."""
    cfg = Config.fromfile(subnet_py)
    cfg.merge_from_dict(copy.deepcopy(overrides))
    runner = build_runner(cfg, work_dir, osp.basename(work_dir),
                          cfg.get('launcher', 'none'), verbose)
    runner.train()
    metrics = val_metrics(runner, recalibrated_val(runner, bn_batches))
    if metric not in metrics:
        raise KeyError(f'donna.predictor.metric={metric!r} is not among the '
                       f'validation metrics {sorted(metrics)}')
    return float(metrics[metric])


def predictor_settings(ctx: StageContext) -> dict:
    """``donna.predictor`` checked, the metric defaulting to the finetune
    metric."""
    pcfg = copy.deepcopy(ctx.settings['predictor'])
    unknown = set(pcfg) - set(DEFAULTS['predictor'])
    if unknown:
        raise DonnaConfigError(f'donna.predictor has unknown keys '
                               f'{sorted(unknown)}; allowed: '
                               f'{PREDICTOR_KEYS + ("metric", )}')
    if pcfg['source'] not in SOURCES:
        raise DonnaConfigError(f'donna.predictor.source={pcfg["source"]!r}; '
                               f'use one of {SOURCES}')
    pcfg['metric'] = pcfg['metric'] or ctx.metric
    return pcfg


def collect_predictor_results(ctx: StageContext) -> dict:
    """Finetune ``donna.predictor.num_archs`` sampled architectures under
    one budget into ``<work_dir>/predictor/results.json`` (one atomic write
    per finished architecture; a rerun continues). With
    ``source='one_shot'`` each architecture's accuracy is its one-shot
    quality instead (BKD weights, BN re-estimated, no finetuning).

    Raises:
        ValueError: the results were made with another budget or metric.
    """
    pcfg = predictor_settings(ctx)
    supernet = ctx.build_supernet()
    num, metric, source = pcfg['num_archs'], pcfg['metric'], pcfg['source']
    overrides = pcfg['finetune']
    bn_batches = ctx.settings['bkd']['bn_calib_batches']
    # as stored in (and read back from) results.json: tuples become lists
    budget = json.loads(
        json.dumps(
            dict(
                source=source,
                finetune=overrides if source == 'finetune' else None,
                bn_calib_batches=bn_batches)))
    space = supernet.space
    out = ctx.path('predictor', 'results.json')
    state = dict(
        format=formats.PREDICTOR_RESULTS,
        config_hash=space.fingerprint(),
        budget=budget,
        metric=metric,
        results=[])
    if osp.exists(out):
        state = load_json_artifact(out, formats.PREDICTOR_RESULTS,
                                   space.fingerprint(), 'predictor results')
        if state.get('budget') != budget:
            raise ValueError(
                f'{out} was finetuned with budget {state.get("budget")}, '
                f'donna.predictor.finetune and donna.bkd.bn_calib_batches '
                f'are {budget}; delete it or restore the budget')
        if state.get('metric') != metric:
            raise ValueError(
                f'{out} holds {state.get("metric")!r}, predictor.metric is '
                f'{metric!r}; delete it or restore the metric')
    done = {tuple(r['code']) for r in state['results']}
    teacher_cfg = ctx.teacher_cfg
    if source == 'one_shot':
        data = OneShotData(teacher_cfg)
    loader = calibration_loader(teacher_cfg) if bn_batches else None
    for i, code in enumerate(sample_codes(space, num, pcfg['seed'])):
        if tuple(code) in done:
            continue
        name = f'arch{i:03d}'
        if source == 'one_shot':
            acc = one_shot_metric(supernet, code, data, metric, bn_batches)
        else:
            py, _ = export_subnet(
                teacher_cfg,
                ctx.teacher_checkpoint,
                ctx.work_dir,
                supernet,
                code,
                name,
                bn_calib_batches=bn_batches,
                subdir=osp.join('predictor', 'subnets'),
                calib_loader=loader)
            acc = finetune_accuracy(py, ctx.path('predictor', 'finetune',
                                                 name), overrides, metric,
                                    bn_batches, ctx.verbose)
        state['results'].append(dict(name=name, code=code, accuracy=acc))
        atomic_write_json(out, state)
        print_log(
            f'predictor arch {len(state["results"])}/{num}: {code} '
            f'{metric}={acc:.2f}', ctx.logger)
    return state


def predictor(ctx: StageContext) -> dict:
    """Results of the sampled architectures, then
    ``<work_dir>/predictor/report.json``: Kendall tau / Spearman of the
    linear predictor and of the block-loss sums on held-out
    architectures."""
    t0 = time.time()
    pcfg = predictor_settings(ctx)
    state = collect_predictor_results(ctx)
    report = ranking_report(
        library(ctx), state['results'], float(pcfg['holdout']),
        float(pcfg['alpha']), int(pcfg['seed']))
    report['metric'] = state['metric']
    report['budget'] = state['budget']
    out = ctx.path('predictor', 'report.json')
    atomic_write_json(out, report)
    tau = report['linear_predictor'].get('kendall_tau')
    ctx.row('predictor', 'done',
            f'{out} (linear predictor Kendall tau {tau:.2f})', t0)
    return report
