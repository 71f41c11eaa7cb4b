"""The finetune stage evaluates the teacher with validation only, whatever
checkpoint hook its config has."""
from mmengine.config import Config
from mmengine.runner import find_latest_checkpoint

from mmdonna.export.finetune_stage import evaluate_teacher
from .conftest import TEACHER_CFG


def test_teacher_eval_with_save_best_checkpoint_hook(digits_teacher, tmp_path):
    teacher = Config.fromfile(TEACHER_CFG)
    # a common teacher setting; its hook would save a training state that a
    # validation-only run does not have
    teacher.default_hooks.checkpoint.save_best = 'auto'
    teacher_file = str(tmp_path / 'teacher.py')
    teacher.dump(teacher_file)
    cfg = Config(
        dict(
            teacher_config=teacher_file,
            model=dict(
                teacher_checkpoint=find_latest_checkpoint(
                    digits_teacher['work_dir']))))
    work = str(tmp_path / 'work')
    top1 = evaluate_teacher(cfg, work, 'accuracy/top1')
    assert abs(top1 - digits_teacher['accuracy']) < 1e-6
    # kept: a second call reads the marker
    assert evaluate_teacher(cfg, work, 'accuracy/top1') == top1
