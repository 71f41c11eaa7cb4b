"""DONNA's linear accuracy predictor: ridge regression from per-block NSR
to finetuned accuracy."""
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np

from mmdonna import formats
from mmdonna.registry import TASK_UTILS
from mmdonna.utils import load_json_artifact
from .base_surrogate import BaseSurrogate
from .ranking import kendall_tau, spearman_rho
from .tables import pad_tables

RESULTS_FORMAT = formats.PREDICTOR_RESULTS


def nsr_features(padded_nsr: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per-block NSR of each architecture's options: ``(N, B)``."""
    codes = np.atleast_2d(np.asarray(codes))
    return padded_nsr[np.arange(padded_nsr.shape[0])[None], codes]


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple:
    """Ridge regression with an unpenalised intercept: ``(coef, bias)``."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    mx, my = x.mean(0), y.mean()
    xc = x - mx
    coef = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]),
                           xc.T @ (y - my))
    return coef, float(my - mx @ coef)


def evaluate_split(x: np.ndarray, y: np.ndarray, train_idx: Sequence[int],
                   test_idx: Sequence[int], alpha: float) -> Dict[str, float]:
    """Fit on ``train_idx``, report ranking quality on ``test_idx``."""
    coef, bias = fit_ridge(x[train_idx], y[train_idx], alpha)
    pred = x[test_idx] @ coef + bias
    return dict(
        kendall_tau=kendall_tau(pred, y[test_idx]),
        spearman=spearman_rho(pred, y[test_idx]),
        mae=float(np.abs(pred - y[test_idx]).mean()))


def loo_predictions(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Leave-one-out predictions: each architecture predicted by the ridge
    fitted on all the others (every point is held out once, so a ranking
    over all N architectures can be scored instead of a small test split).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    pred = np.empty(len(y))
    for i in range(len(y)):
        rest = np.arange(len(y)) != i
        coef, bias = fit_ridge(x[rest], y[rest], alpha)
        pred[i] = x[i] @ coef + bias
    return pred


@TASK_UTILS.register_module()
class LinearAccuracyPredictor(BaseSurrogate):
    """DONNA (v1) quality surrogate: accuracy ~ w . NSR(arch) + b, fitted
    with ridge regression on a few briefly finetuned architectures
    (``tools/fit_predictor.py`` finetunes them into ``results_file``).

    :meth:`predict_batch` returns the predicted top-1 **error** (100 minus the
    predicted accuracy), so lower is better like every surrogate.

    Args:
        results_file (str): Finetuning results, relative to the work dir.
            Defaults to 'predictor/results.json'.
        alpha (float): Ridge penalty. Defaults to 1e-3.
        min_archs (int): Fewest finetuned architectures to fit on.
            Defaults to 8.
    """

    metric_name = 'predicted_error'

    def __init__(self,
                 results_file: str = 'predictor/results.json',
                 alpha: float = 1e-3,
                 min_archs: int = 8):
        self.results_file = results_file
        self.alpha = alpha
        self.min_archs = min_archs
        self.coef = None
        self.bias = None
        self._nsr = None

    def setup(self, library, work_dir: str) -> None:
        path = osp.join(work_dir, self.results_file)
        if not osp.exists(path):
            raise FileNotFoundError(
                f'surrogate LinearAccuracyPredictor needs finetuned '
                f'architectures in {path}: run tools/fit_predictor.py '
                f'<config> first, or use surrogate=dict(type='
                f"'mmdonna.BlockLossSum')")
        data = load_json_artifact(path, RESULTS_FORMAT,
                                  library.space.fingerprint(),
                                  'predictor results')
        results = data['results']
        if len(results) < self.min_archs:
            raise ValueError(
                f'{path} has {len(results)} finetuned architectures, '
                f'surrogate.min_archs={self.min_archs}; run '
                f'tools/fit_predictor.py with more architectures')
        self.fit(library, results)

    def fit(self, library, results: List[dict]) -> None:
        """Fit on ``[dict(code=[...], accuracy=...)]``."""
        self._nsr = pad_tables(library.nsr_table())
        x = nsr_features(self._nsr, np.array([r['code'] for r in results]))
        y = np.array([r['accuracy'] for r in results], dtype=float)
        self.coef, self.bias = fit_ridge(x, y, self.alpha)

    def predict_accuracy(self, codes: np.ndarray) -> np.ndarray:
        if self.coef is None:
            raise RuntimeError('LinearAccuracyPredictor.setup(library, '
                               'work_dir) must be called first')
        return nsr_features(self._nsr, codes) @ self.coef + self.bias

    def predict_batch(self, codes: np.ndarray) -> np.ndarray:
        return 100.0 - self.predict_accuracy(codes)

    def block_tables(self) -> Tuple[List[np.ndarray], float]:
        """Predicted error is ``100 - bias - sum_b coef_b * NSR_b``: per
        block ``-coef_b * NSR_b``, offset ``100 - bias``."""
        if self.coef is None:
            raise RuntimeError('LinearAccuracyPredictor.setup(library, '
                               'work_dir) must be called first')
        tables = [-c * row for c, row in zip(self.coef, self._nsr)]
        return tables, 100.0 - self.bias

    def teacher_value(self) -> float:
        """Predicted error at NSR 0 in every block: ``100 - bias``."""
        if self.coef is None:
            raise RuntimeError('LinearAccuracyPredictor.setup(library, '
                               'work_dir) must be called first')
        return 100.0 - self.bias
