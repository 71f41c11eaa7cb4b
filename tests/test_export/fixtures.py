"""A tiny supernet (MobileNetV2 teacher at 32x32, three options per block)
and its teacher config and checkpoint, for export tests."""
import pytest
import torch
from mmengine.config import Config
from mmengine.hub import get_config

from ..test_supernet.test_donna_supernet import TEACHERS, build_supernet


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    torch.manual_seed(0)
    cfg_path, paths = TEACHERS['mobilenet_v2']
    supernet = build_supernet(cfg_path, paths, input_shape=(3, 32, 32))
    outside = tmp_path_factory.mktemp('teacher')
    ckpt = str(outside / 'teacher.pth')
    torch.save(dict(state_dict=supernet.teacher.state_dict()), ckpt)
    teacher_cfg = Config(
        dict(model=get_config(cfg_path).model, default_scope='mmpretrain'))
    return dict(
        supernet=supernet, teacher_cfg=teacher_cfg, teacher_checkpoint=ckpt)
