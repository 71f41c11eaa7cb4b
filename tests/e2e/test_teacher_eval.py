"""The finetune stage evaluates the teacher with validation only, whatever
checkpoint hook its config has."""
from mmengine.runner import find_latest_checkpoint

from mmdonna.stages import StageContext, evaluate_teacher
from .conftest import donna_config


def test_teacher_eval_with_save_best_checkpoint_hook(digits_teacher, tmp_path):
    cfg = donna_config(digits_teacher['work_dir'])
    # a common teacher setting; its hook would save a training state that a
    # validation-only run does not have
    cfg.default_hooks.checkpoint.save_best = 'auto'
    ctx = StageContext(cfg, str(tmp_path / 'work'))
    ctx.teacher_checkpoint = find_latest_checkpoint(digits_teacher['work_dir'])
    top1 = evaluate_teacher(ctx)
    assert abs(top1 - digits_teacher['accuracy']) < 1e-6
    # kept: a second call reads the marker
    assert evaluate_teacher(ctx) == top1
