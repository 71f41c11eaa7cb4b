"""Before BKD the teacher is evaluated once; a teacher at chance level is a
one-line error, a trained one passes and its figure is kept."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import find_latest_checkpoint

from mmdonna.stages import (StageContext, StageError, chance_level,
                            teacher_check)
from .conftest import TEACHER_CFG, donna_config


def _ctx(checkpoint, work_dir, **check):
    cfg = donna_config(checkpoint)
    cfg.donna.teacher_check = check
    ctx = StageContext(cfg, work_dir)
    ctx.teacher_checkpoint = checkpoint
    return ctx


def test_chance_level_teacher_is_refused_in_one_line(tmp_path):
    init_default_scope('mmpretrain')
    untrained = MODELS.build(Config.fromfile(TEACHER_CFG).model)
    ckpt = str(tmp_path / 'untrained.pth')
    torch.save(dict(state_dict=untrained.state_dict()), ckpt)
    ctx = _ctx(ckpt, str(tmp_path / 'work'))
    assert chance_level(ctx.teacher_cfg,
                        'accuracy/top1') == pytest.approx(10.0)
    with pytest.raises(StageError) as e:
        teacher_check(ctx)
    msg = str(e.value)
    assert '\n' not in msg and 'chance is 10.0' in msg
    assert 'untrained.pth' in msg and 'train it longer' in msg
    # the floor is the config's to set
    ctx = _ctx(ckpt, str(tmp_path / 'work'), min=0.0)
    teacher_check(ctx)
    assert ctx.rows[-1][:2] == ('teacher check', 'done')


def test_trained_teacher_passes(digits_teacher, tmp_path):
    ctx = _ctx(
        find_latest_checkpoint(digits_teacher['work_dir']), str(tmp_path))
    teacher_check(ctx)
    stage, status, detail = ctx.rows[-1]
    assert status == 'done' and 'accuracy/top1=' in detail
    # kept for the finetune stage's table
    assert osp.exists(
        osp.join(str(tmp_path), 'finetune', 'teacher_eval', 'eval_done.json'))
