"""The rerank stage's choices: the re-ranked front is what is
non-dominated in (latency, one-shot quality), and finetuning picks from it.
The stage itself runs end to end in tests/test_search/test_search_tool.py.
"""
import pytest

from mmdonna.stages import DonnaConfigError, choose_models
from mmdonna.stages.rerank import check_rerank, non_dominated


def test_non_dominated_lower_latency_higher_quality():
    lat = [1.0, 2.0, 3.0, 4.0, 4.0]
    quality = [50.0, 40.0, 70.0, 70.0, 60.0]
    # b is slower and worse than a; d ties c in quality but is slower; e
    # is dominated by c and d
    assert non_dominated(lat, quality) == [True, False, True, False, False]
    # exact ties keep both
    assert non_dominated([1.0, 1.0], [5.0, 5.0]) == [True, True]


def front():
    # the block-loss surrogate prefers c, the one-shot quality b; a is the
    # fastest, d is not on the re-ranked front
    return [
        dict(
            name='a',
            latency_lut_ms=1.0,
            latency_measured_ms=1.0,
            surrogate=3.0,
            one_shot=60.0,
            rerank_front=True),
        dict(
            name='d',
            latency_lut_ms=1.5,
            latency_measured_ms=1.5,
            surrogate=2.5,
            one_shot=55.0,
            rerank_front=False),
        dict(
            name='b',
            latency_lut_ms=2.0,
            latency_measured_ms=2.0,
            surrogate=2.0,
            one_shot=90.0,
            rerank_front=True),
        dict(
            name='c',
            latency_lut_ms=3.0,
            latency_measured_ms=3.0,
            surrogate=1.0,
            one_shot=80.0,
            rerank_front=False),
    ]


@pytest.mark.parametrize('models, plain, reranked', [
    ('best', ['c'], ['b']),
    ('fastest', ['a'], ['a']),
    ('middle', ['b'], ['a']),
    (dict(latency_ms=1.6), ['d'], ['a']),
    (dict(latency_ms=5.0), ['c'], ['b']),
])
def test_finetune_picks_from_the_reranked_front(models, plain, reranked):
    names = [a['name'] for a in choose_models(front(), models)]
    assert names == plain
    record = dict(metric='accuracy/top1', higher_is_better=True)
    names = [a['name'] for a in choose_models(front(), models, record)]
    assert names == reranked


def test_lower_is_better_metric():
    f = front()
    record = dict(metric='loss', higher_is_better=False)
    assert [a['name'] for a in choose_models(f, 'best', record)] == ['a']


@pytest.mark.parametrize('key, value', [('max_archs', 1), ('max_archs', 2.5),
                                        ('bn_batches', -1),
                                        ('val_batches', -1)])
def test_bad_rerank_settings_are_refused(key, value):
    r = dict(max_archs=32, bn_batches=None, val_batches=None)
    r[key] = value
    with pytest.raises(DonnaConfigError, match=f'donna.rerank.{key}'):
        check_rerank(r)
