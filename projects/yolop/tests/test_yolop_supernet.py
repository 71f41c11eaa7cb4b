"""YOLOP as a DONNA teacher: cut points in the encoder, block shapes, one
BKD step, and a searched encoder in the stock neck and heads."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdonna.export import TensorForward
from mmdonna.export.subnet_export import student_config
from mmdonna.registry import MODELS
from mmdonna.stages import supernet_model
from .yolop_test_utils import CONFIGS, fake_batch


def _supernet():
    cfg = Config.fromfile(osp.join(CONFIGS, 'yolop_tiny_generated_search.py'))
    cfg.donna.input_shape = (3, 64, 96)
    for b in cfg.donna.blocks:
        b.options = [
            dict(type='MBConv', kernel=3, expand=3),
            dict(type='ResBlock', groups=4, width=0.5)
        ]
    init_default_scope('mmdet')
    return MODELS.build(supernet_model(cfg))


def test_encoder_stages_are_the_blocks_with_their_shapes():
    supernet = _supernet()
    shapes = [(b.path, b.in_shape, b.out_shape) for b in supernet.space.blocks]
    assert shapes == [
        ('backbone.stage1', (16, 32, 48), (32, 16, 24)),
        ('backbone.stage2', (32, 16, 24), (64, 8, 12)),
        ('backbone.stage3', (64, 8, 12), (128, 4, 6)),
        ('backbone.stage4', (128, 4, 6), (256, 2, 3)),
    ]
    supernet.train()
    inputs, _ = fake_batch(h=64, w=96)
    losses = supernet(inputs, None, mode='loss')
    assert sorted(losses) == [f'loss_block{i}' for i in range(4)]
    sum(losses.values()).backward()


def test_searched_encoder_fits_the_stock_neck_and_heads():
    supernet = _supernet()
    teacher_cfg = Config.fromfile(
        osp.join(CONFIGS, 'yolop_tiny_generated_teacher.py'))
    student = student_config(teacher_cfg.model.to_dict(), supernet.space,
                             [0, 1, 0, 1], None, 'mmdet')
    assert student['backbone']['type'] == 'mmdonna.DonnaBackbone'
    model = MODELS.build(student).eval()
    inputs, samples = fake_batch(h=64, w=96)
    with torch.no_grad():
        out = TensorForward(model).eval()(inputs)
        preds = model(inputs, samples, mode='predict')
    assert len(out) == 11 and out[-1].shape == (2, 2, 64, 96)
    assert preds[0].pred_ll_seg.sem_seg.shape == (1, 64, 96)
    model.train()
    losses = model(inputs, samples, mode='loss')
    assert {'loss_cls', 'loss_da_seg', 'loss_ll_seg'} <= set(losses)
