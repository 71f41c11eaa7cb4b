"""Before BKD the teacher is evaluated once; a teacher at chance level is a
one-line error, a trained one passes and its figure is kept."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import find_latest_checkpoint

from mmdonna.search.pipeline import PipelineError, chance_level, teacher_check
from .conftest import BKD_CFG, TEACHER_CFG


def _cfg(checkpoint):
    cfg = Config.fromfile(BKD_CFG)
    cfg.teacher_config = TEACHER_CFG
    cfg.model.teacher_checkpoint = checkpoint
    return cfg


def test_chance_level_teacher_is_refused_in_one_line(tmp_path):
    init_default_scope('mmpretrain')
    untrained = MODELS.build(Config.fromfile(TEACHER_CFG).model)
    ckpt = str(tmp_path / 'untrained.pth')
    torch.save(dict(state_dict=untrained.state_dict()), ckpt)
    cfg = _cfg(ckpt)
    assert chance_level(cfg, 'accuracy/top1') == pytest.approx(10.0)
    with pytest.raises(PipelineError) as e:
        teacher_check(cfg, str(tmp_path / 'work'), 'none')
    msg = str(e.value)
    assert '\n' not in msg and 'chance is 10.0' in msg
    assert 'untrained.pth' in msg and 'train it longer' in msg
    # the floor is the config's to set
    cfg.teacher_check = dict(min=0.0)
    assert teacher_check(cfg, str(tmp_path / 'work'), 'none')[1] == 'done'


def test_trained_teacher_passes(digits_teacher, tmp_path):
    cfg = _cfg(find_latest_checkpoint(digits_teacher['work_dir']))
    stage, status, detail = teacher_check(cfg, str(tmp_path), 'none')
    assert status == 'done' and 'accuracy/top1=' in detail
    # kept for the finetune stage's table
    assert osp.exists(
        osp.join(str(tmp_path), 'finetune', 'teacher_eval', 'eval_done.json'))
