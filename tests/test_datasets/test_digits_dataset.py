"""DigitsDataset: plain and distorted (the harder benchmark task)."""
import numpy as np
import pytest

from mmdonna.datasets import DigitsDataset


def _imgs(ds):
    return np.stack([ds.get_data_info(i)['img'] for i in range(len(ds))])


def test_distorted_digits_are_copies_of_the_split_and_reproducible():
    plain = DigitsDataset('val')
    dist = DigitsDataset('val', distort=dict(copies=3))
    assert len(dist) == 3 * len(plain)
    labels = [dist.get_data_info(i)['gt_label'] for i in range(len(dist))]
    plain_labels = [
        plain.get_data_info(i)['gt_label'] for i in range(len(plain))
    ]
    assert labels == [y for y in plain_labels for _ in range(3)]
    a = _imgs(dist)
    assert a.shape[1:] == (32, 32, 3) and a.dtype == np.uint8
    # the same set on every construction, and not the plain images
    np.testing.assert_array_equal(
        a, _imgs(DigitsDataset('val', distort=dict(copies=3))))
    assert not np.array_equal(a[::3], _imgs(plain))
    # copies of one digit differ from each other
    assert not np.array_equal(a[0], a[1])
    # the split is cut before the copies: train renders the train digits
    train = DigitsDataset('train', distort=dict(copies=2))
    assert len(train) == 2 * len(DigitsDataset('train'))
    # the defaults: 4 copies
    assert len(DigitsDataset('val', distort={})) == 4 * len(plain)


def test_distort_bad_keys_are_one_line_errors():
    with pytest.raises(KeyError, match='distort has unknown keys'):
        DigitsDataset('val', distort=dict(rotation=10))
    with pytest.raises(ValueError, match='copies=0 must be >= 1'):
        DigitsDataset('val', distort=dict(copies=0))
