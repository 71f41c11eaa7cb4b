"""DONNA's predictor data: sampled architectures finetuned with the real
Runner into predictor/results.json, which a rerun continues."""
import copy
import json
import os.path as osp

import pytest

from mmdonna.stages import collect_predictor_results
from .conftest import stage_context

# a short budget; the tuple is what a config holds (JSON gives a list back)
BUDGET = dict(
    train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1),
    param_scheduler=dict(type='CosineAnnealingLR', by_epoch=True, T_max=1),
    train_dataloader=dict(dataset=dict(indices=128)),
    val_dataloader=dict(dataset=dict(ratios=(0.7, 0.3, 0.0))),
    default_hooks=dict(logger=dict(interval=50)))


def _results(digits_bkd, work_dir, num, budget=BUDGET):
    return collect_predictor_results(
        stage_context(
            digits_bkd,
            work_dir,
            predictor=dict(num_archs=num, seed=0, finetune=budget)))


def test_predictor_results_resume_and_refuse_another_budget(
        digits_bkd, digits_teacher, tmp_path):
    work_dir = str(tmp_path)
    first = _results(digits_bkd, work_dir, 2)
    assert [r['name'] for r in first['results']] == ['arch000', 'arch001']
    assert all(0 <= r['accuracy'] <= 100 for r in first['results'])
    log_dir = osp.join(work_dir, 'predictor', 'finetune', 'arch000')
    stamp = osp.getmtime(osp.join(log_dir, 'last_checkpoint'))
    # a rerun with more architectures keeps the finetuned ones
    more = _results(digits_bkd, work_dir, 3)
    assert more['results'][:2] == first['results']
    assert len(more['results']) == 3
    assert osp.getmtime(osp.join(log_dir, 'last_checkpoint')) == stamp
    other = copy.deepcopy(BUDGET)
    other['train_cfg']['max_epochs'] = 2
    with pytest.raises(ValueError, match='finetuned with budget'):
        _results(digits_bkd, work_dir, 4, other)
    # nothing computed is lost by the refusal
    with open(osp.join(work_dir, 'predictor', 'results.json')) as f:
        assert len(json.load(f)['results']) == 3
