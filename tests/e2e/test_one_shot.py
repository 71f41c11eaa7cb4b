"""One-shot quality of assembled BKD subnets: the teacher's own code scores
the teacher's accuracy, a real architecture scores above chance, scores are
cached, and DONNA's predictor can be fitted on them."""
import os.path as osp

import numpy as np
import pytest

from mmdonna.library import BlockLibrary
from mmdonna.search.search_stages import teacher_code
from mmdonna.stages import collect_predictor_results
from mmdonna.surrogate import OneShotData, OneShotQuality
from mmdonna.utils.config import load_config
from .conftest import TEACHER_CFG, stage_context


@pytest.fixture(scope='module')
def one_shot(digits_bkd):
    return OneShotData(load_config(TEACHER_CFG))


def test_teacher_code_scores_the_teacher(digits_bkd, digits_teacher, one_shot,
                                         tmp_path):
    model = digits_bkd['model']
    lib = BlockLibrary.load(
        osp.join(digits_bkd['work_dir'], 'block_library.json'), model.space)
    # no BN recalibration: the teacher's own statistics, its own accuracy
    sur = OneShotQuality(bn_batches=0).bind(model, one_shot)
    sur.setup(lib, str(tmp_path))
    code = teacher_code(model.space)
    assert -sur.predict_batch(np.array([code]))[0] == pytest.approx(
        digits_teacher['accuracy'], abs=1e-6)
    sur = OneShotQuality(bn_batches=4).bind(model, one_shot)
    sur.setup(lib, str(tmp_path))
    first = [0] * model.space.num_blocks
    value = sur.score(first)
    assert 15 < value <= 100  # ten classes: far above chance
    # cached: a new surrogate without a supernet reads the score back
    again = OneShotQuality(bn_batches=4)
    again.setup(lib, str(tmp_path))
    assert again.score(first) == value
    with pytest.raises(RuntimeError, match='bind'):
        again.score([1] * model.space.num_blocks)


def test_predictor_data_from_one_shot_scores(digits_bkd, digits_teacher,
                                             tmp_path):
    ctx = stage_context(
        digits_bkd,
        str(tmp_path),
        bkd=dict(bn_calib_batches=2),
        predictor=dict(num_archs=3, seed=0, source='one_shot'))
    state = collect_predictor_results(ctx)
    assert len(state['results']) == 3
    assert state['budget']['source'] == 'one_shot'
    assert all(0 <= r['accuracy'] <= 100 for r in state['results'])
    # nothing was finetuned
    assert not osp.exists(osp.join(str(tmp_path), 'predictor', 'finetune'))
