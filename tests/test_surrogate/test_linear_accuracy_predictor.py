import numpy as np
import pytest

from mmdonna.library import BlockLibrary
from mmdonna.search_space import BlockSpec, SearchSpace
from mmdonna.surrogate import (LinearAccuracyPredictor, evaluate_split,
                               fit_ridge, kendall_tau, loo_predictions,
                               nsr_features, pad_tables)
from mmdonna.surrogate.linear_accuracy_predictor import RESULTS_FORMAT
from mmdonna.utils import atomic_write_json


def _library(nsr):
    blocks = [
        BlockSpec(
            f'backbone.layer{b}',
            [dict(type='MBConv', kernel=3 + 2 * i)
             for i in range(len(t))], (8, 8, 8), (8, 8, 8))
        for b, t in enumerate(nsr)
    ]
    space = SearchSpace(blocks)
    data = {
        b.path:
        dict(
            teacher=dict(params=1, flops=1),
            options=[
                dict(
                    option=o,
                    nsr_mean=float(v),
                    nsr_std=0.0,
                    params=1,
                    flops=1) for o, v in zip(b.options, t)
            ])
        for b, t in zip(blocks, nsr)
    }
    return BlockLibrary(space, data, 10)


def test_ridge_recovers_a_linear_law():
    rng = np.random.default_rng(0)
    x = rng.random((40, 3))
    y = 90 - x @ np.array([5.0, 10.0, 2.0])
    coef, bias = fit_ridge(x, y, alpha=1e-9)
    np.testing.assert_allclose(coef, [-5, -10, -2], atol=1e-6)
    assert abs(bias - 90) < 1e-6
    rep = evaluate_split(x, y, range(30), range(30, 40), 1e-9)
    assert rep['kendall_tau'] == pytest.approx(1.0)
    assert rep['mae'] < 1e-6


def test_leave_one_out_predicts_each_point_without_it():
    rng = np.random.default_rng(1)
    x = rng.random((12, 3))
    y = 90 - x @ np.array([5.0, 10.0, 2.0])
    loo = loo_predictions(x, y, alpha=1e-9)
    np.testing.assert_allclose(loo, y, atol=1e-6)  # exact law: exact
    y_noisy = y.copy()
    y_noisy[4] += 7.0  # an outlier is not used to predict itself
    loo = loo_predictions(x, y_noisy, alpha=1e-9)
    assert abs(loo[4] - y[4]) < abs(loo[4] - y_noisy[4])
    coef, bias = fit_ridge(np.delete(x, 4, 0), np.delete(y_noisy, 4), 1e-9)
    assert loo[4] == pytest.approx(x[4] @ coef + bias)


def test_features_are_the_chosen_options_nsr():
    padded = pad_tables([np.array([0.1, 0.2]), np.array([0.3, 0.4, 0.5])])
    feats = nsr_features(padded, np.array([[0, 2], [1, 0]]))
    np.testing.assert_allclose(feats, [[0.1, 0.5], [0.2, 0.3]])


def test_predictor_fits_from_results_and_ranks(tmp_path):
    lib = _library([[0.2, 0.4, 0.6], [0.1, 0.5], [0.3, 0.35, 0.9]])
    codes = list(lib.space.enumerate())
    x = nsr_features(pad_tables(lib.nsr_table()), np.array(codes))
    acc = 95 - x @ np.array([4.0, 8.0, 1.0])
    atomic_write_json(
        str(tmp_path / 'predictor' / 'results.json'),
        dict(
            format=RESULTS_FORMAT,
            config_hash=lib.space.fingerprint(),
            budget={},
            metric='accuracy/top1',
            results=[
                dict(code=list(c), accuracy=float(a))
                for c, a in zip(codes, acc)
            ]))
    pred = LinearAccuracyPredictor(alpha=1e-9)
    pred.setup(lib, str(tmp_path))
    err = pred.predict_batch(np.array(codes))
    np.testing.assert_allclose(err, 100 - acc, atol=1e-6)
    assert kendall_tau(-err, acc) == pytest.approx(1.0)


def test_predictor_without_results_says_what_to_run(tmp_path):
    lib = _library([[0.2, 0.4], [0.1, 0.5]])
    with pytest.raises(FileNotFoundError, match='tools/fit_predictor.py'):
        LinearAccuracyPredictor().setup(lib, str(tmp_path))
    atomic_write_json(
        str(tmp_path / 'predictor' / 'results.json'),
        dict(
            format=RESULTS_FORMAT,
            config_hash=lib.space.fingerprint(),
            results=[dict(code=[0, 0], accuracy=90.0)]))
    with pytest.raises(ValueError, match='min_archs=8'):
        LinearAccuracyPredictor().setup(lib, str(tmp_path))
