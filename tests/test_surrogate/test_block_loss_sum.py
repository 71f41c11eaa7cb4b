import numpy as np
import pytest

from mmdonna.registry import TASK_UTILS
from mmdonna.search import synthetic_library
from mmdonna.surrogate import (BlockLossSum, block_loss_sum,
                               normalise_block_losses, pad_tables, table_sum)


def test_table_sum_matches_a_hand_computation():
    tables = [np.array([1.0, 2.0]), np.array([10.0, 20.0, 30.0])]
    codes = np.array([[0, 0], [1, 2], [0, 1]])
    np.testing.assert_allclose(
        table_sum(pad_tables(tables), codes), [11.0, 32.0, 21.0])
    # one code as a 1-D array
    np.testing.assert_allclose(table_sum(pad_tables(tables), [1, 1]), [22.0])
    with pytest.raises(ValueError, match='blocks'):
        table_sum(pad_tables(tables), np.zeros((2, 3), dtype=int))


def test_block_loss_sum_plain_and_normalised():
    lib, _ = synthetic_library([3, 4, 2], seed=1)
    nsr = lib.nsr_table()
    codes = np.array([[0, 3, 1], [2, 0, 0]])
    plain = TASK_UTILS.build(dict(type='mmdonna.BlockLossSum'))
    plain.setup(lib, '')
    want = [
        nsr[0][0] + nsr[1][3] + nsr[2][1], nsr[0][2] + nsr[1][0] + nsr[2][0]
    ]
    np.testing.assert_allclose(plain.predict_batch(codes), want)
    np.testing.assert_allclose(block_loss_sum(nsr, codes), want)

    norm = BlockLossSum(normalize='mean')
    norm.setup(lib, '')
    want = [
        sum(nsr[b][c] / nsr[b].mean() for b, c in enumerate(code))
        for code in codes
    ]
    np.testing.assert_allclose(norm.predict_batch(codes), want)
    # normalised: the average option of every block contributes exactly 1
    scaled = normalise_block_losses(nsr, 'mean')
    np.testing.assert_allclose([t.mean() for t in scaled], 1.0)
    assert norm.metric_name != plain.metric_name


def test_bad_settings_and_missing_setup_fail_clearly():
    with pytest.raises(ValueError, match='surrogate.normalize'):
        BlockLossSum(normalize='max')
    with pytest.raises(RuntimeError, match='setup'):
        BlockLossSum().predict_batch(np.zeros((1, 2), dtype=int))
