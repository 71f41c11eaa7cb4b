"""Quality surrogates (lower is better) over architecture codes."""
from .base_surrogate import BaseSurrogate
from .block_loss_sum import (BlockLossSum, block_loss_sum,
                             normalise_block_losses)
from .linear_accuracy_predictor import (LinearAccuracyPredictor,
                                        evaluate_split, fit_ridge,
                                        loo_predictions, nsr_features)
from .one_shot_quality import (OneShotData, OneShotQuality, evaluate_model,
                               one_shot_metric)
from .ranking import kendall_tau, spearman_rho
from .tables import pad_tables, table_sum

__all__ = [
    'BaseSurrogate', 'BlockLossSum', 'block_loss_sum',
    'normalise_block_losses', 'pad_tables', 'table_sum',
    'LinearAccuracyPredictor', 'evaluate_split', 'fit_ridge', 'nsr_features',
    'loo_predictions', 'kendall_tau', 'spearman_rho', 'OneShotData',
    'OneShotQuality', 'evaluate_model', 'one_shot_metric'
]
