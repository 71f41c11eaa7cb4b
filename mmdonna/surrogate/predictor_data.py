"""DONNA's linear accuracy predictor data: sampled architectures and how
well the surrogates rank them (the stage that finetunes them is
:mod:`mmdonna.stages.predictor`)."""
from typing import Dict, List

import numpy as np

from .block_loss_sum import block_loss_sum, normalise_block_losses
from .linear_accuracy_predictor import (evaluate_split, loo_predictions,
                                        nsr_features)
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
