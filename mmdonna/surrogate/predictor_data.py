"""Finetune sampled architectures for DONNA's linear accuracy predictor
(resumable) and report how well the surrogates rank them."""
import copy
import json
import os.path as osp
from typing import Dict, List

import numpy as np
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmdonna.utils import atomic_write_json, load_json_artifact
from mmdonna.utils.config import load_config
from .block_loss_sum import block_loss_sum, normalise_block_losses
from .linear_accuracy_predictor import (RESULTS_FORMAT, evaluate_split,
                                        loo_predictions, nsr_features)
from .one_shot_quality import OneShotData, one_shot_metric
from .ranking import kendall_tau, spearman_rho
from .tables import pad_tables

PREDICTOR_KEYS = ('num_archs', 'seed', 'holdout', 'finetune', 'alpha',
                  'source')
#: Where the predictor's accuracies come from: short finetunes (DONNA) or
#: the one-shot quality of the assembled BKD subnet (no training).
SOURCES = ('finetune', 'one_shot')


def sample_codes(space, num: int, seed: int) -> List[List[int]]:
    """``num`` distinct architectures, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    codes, seen = [], set()
    for _ in range(num * 100):
        c = space.sample(rng)
        if c not in seen:
            seen.add(c)
            codes.append(list(c))
        if len(codes) == num:
            break
    return codes


def finetune_accuracy(subnet_py: str,
                      work_dir: str,
                      overrides: dict,
                      metric: str,
                      bn_batches: int = 0) -> float:
    """Finetune one exported subnet with the stock Runner and return its
    validation ``metric`` (after re-estimating its BN statistics on
    ``bn_batches`` training batches)."""
    from mmdonna.export.finetune_stage import recalibrated_val
    cfg = Config.fromfile(subnet_py)
    cfg.merge_from_dict(copy.deepcopy(overrides))
    cfg.work_dir = work_dir
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = recalibrated_val(runner, bn_batches)
    if metric not in metrics:
        raise KeyError(f'predictor.metric={metric!r} is not among the '
                       f'validation metrics {sorted(metrics)}')
    return float(metrics[metric])


def collect_predictor_results(cfg: Config, work_dir: str, supernet,
                              teacher_checkpoint: str) -> dict:
    """Finetune ``predictor.num_archs`` sampled architectures under one
    budget into ``<work_dir>/predictor/results.json`` (one atomic write per
    finished architecture; a rerun continues). With
    ``predictor.source='one_shot'`` each architecture's accuracy is its
    one-shot quality instead (:func:`one_shot_metric`: BKD weights, BN
    re-estimated, no finetuning)."""
    from mmdonna.export import export_subnet
    from mmdonna.export.subnet_export import calib_batches, calibration_loader
    pcfg = copy.deepcopy(cfg.get('predictor', {}))
    unknown = set(pcfg) - set(PREDICTOR_KEYS) - {'metric'}
    if unknown:
        raise KeyError(f'predictor has unknown keys {sorted(unknown)}; '
                       f'allowed: {PREDICTOR_KEYS + ("metric", )}')
    num = int(pcfg.get('num_archs', 24))
    seed = int(pcfg.get('seed', 0))
    metric = pcfg.get('metric', 'accuracy/top1')
    overrides = pcfg.get('finetune', {})
    source = pcfg.get('source', 'finetune')
    if source not in SOURCES:
        raise ValueError(f'predictor.source={source!r}; use one of '
                         f'{SOURCES}')
    # as stored in (and read back from) results.json: tuples become lists
    bn_batches = calib_batches(cfg)
    budget = json.loads(
        json.dumps(
            dict(
                source=source,
                finetune=overrides if source == 'finetune' else None,
                bn_calib_batches=bn_batches)))
    space = supernet.space
    out = osp.join(work_dir, 'predictor', 'results.json')
    state = dict(
        format=RESULTS_FORMAT,
        config_hash=space.fingerprint(),
        budget=budget,
        metric=metric,
        results=[])
    if osp.exists(out):
        state = load_json_artifact(out, RESULTS_FORMAT, space.fingerprint(),
                                   'predictor results')
        if state.get('budget') != budget:
            raise ValueError(
                f'{out} was finetuned with budget {state.get("budget")}, '
                f'predictor.finetune and bn_calib_batches are {budget}; '
                f'delete it or restore the budget')
        if state.get('metric') != metric:
            raise ValueError(
                f'{out} holds {state.get("metric")!r}, predictor.metric is '
                f'{metric!r}; delete it or restore the metric')
    done = {tuple(r['code']) for r in state['results']}
    teacher_cfg = load_config(cfg.teacher_config)
    if source == 'one_shot':
        data = OneShotData(teacher_cfg)
    loader = calibration_loader(teacher_cfg) if bn_batches else None
    for i, code in enumerate(sample_codes(space, num, seed)):
        if tuple(code) in done:
            continue
        name = f'arch{i:03d}'
        if source == 'one_shot':
            acc = one_shot_metric(supernet, code, data, metric, bn_batches)
            state['results'].append(dict(name=name, code=code, accuracy=acc))
            atomic_write_json(out, state)
            continue
        py, _ = export_subnet(
            cfg,
            work_dir,
            supernet,
            code,
            name,
            teacher_cfg,
            teacher_checkpoint,
            subdir=osp.join('predictor', 'subnets'),
            calib_loader=loader)
        acc = finetune_accuracy(
            py, osp.join(work_dir, 'predictor', 'finetune', name), overrides,
            metric, bn_batches)
        state['results'].append(dict(name=name, code=code, accuracy=acc))
        atomic_write_json(out, state)
        print_log(
            f'predictor arch {len(state["results"])}/{num}: {code} '
            f'{metric}={acc:.2f}', 'current')
    return state


def ranking_report(library,
                   results: List[dict],
                   holdout: float,
                   alpha: float,
                   seed: int = 0) -> Dict[str, dict]:
    """Kendall tau / Spearman vs finetuned accuracy on held-out
    architectures: the linear predictor (fitted on the rest) and the
    block-loss sums (no fitting). Higher accuracy must mean lower loss, so
    the block-loss correlations are reported on ``-loss``."""
    codes = np.array([r['code'] for r in results])
    acc = np.array([r['accuracy'] for r in results], dtype=float)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(results))
    n_test = max(3, int(round(holdout * len(results))))
    test, train = order[:n_test], order[n_test:]
    x = nsr_features(pad_tables(library.nsr_table()), codes)
    report = dict(
        num_archs=len(results),
        num_test=len(test),
        linear_predictor=evaluate_split(x, acc, train, test, alpha))
    # the held-out split is small (tau over ~8 points moves by 0.07 per
    # swapped pair): also rank all architectures by leave-one-out predictions
    loo = loo_predictions(x, acc, alpha)
    report['linear_predictor'].update(
        kendall_tau_loo=kendall_tau(loo, acc),
        spearman_loo=spearman_rho(loo, acc))
    for norm in (None, 'mean'):
        loss = block_loss_sum(
            normalise_block_losses(library.nsr_table(), norm), codes)
        key = 'block_loss_sum' + ('' if norm is None else '_normalised')
        report[key] = dict(
            kendall_tau=kendall_tau(-loss[test], acc[test]),
            spearman=spearman_rho(-loss[test], acc[test]),
            kendall_tau_all=kendall_tau(-loss, acc))
    return report
