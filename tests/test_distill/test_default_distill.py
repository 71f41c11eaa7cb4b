"""The default finetune distillation point works for any classifier head:
the head's output logits, not a module named ``head.fc``."""
import torch
from mmengine.hub import get_config
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmdonna.distill import default_distill
from mmdonna.registry import MODELS


def tiny_classifier(head: dict) -> dict:
    net = get_config('mmpretrain::_base_/models/mobilenet_v2_1x.py').model
    net.backbone.widen_factor = 0.25
    net.head = head
    return net


def test_stacked_linear_head_distils_its_logits():
    init_default_scope('mmpretrain')
    net = tiny_classifier(
        dict(
            type='StackedLinearClsHead',
            num_classes=3,
            in_channels=1280,
            mid_channels=[16],
            loss=dict(type='CrossEntropyLoss')))
    built = MODELS.build(net)
    assert 'head.fc' not in dict(built.named_modules())
    distill = default_distill(built)
    assert [(d['student'], d['teacher'])
            for d in distill] == [('head', 'head')]
    model = MODELS.build(
        dict(
            type='mmdonna.DonnaKDModel',
            student=net,
            teacher=net,
            teacher_checkpoint=None,
            distill=distill))
    samples = [DataSample().set_gt_label(i % 3) for i in range(2)]
    losses = model(torch.randn(2, 3, 32, 32), samples, mode='loss')
    assert set(losses) == {'loss_task', 'loss_distill0'}
    assert torch.isfinite(losses['loss_distill0'])


def test_named_module_form_still_works():
    init_default_scope('mmpretrain')
    net = tiny_classifier(
        dict(
            type='LinearClsHead',
            num_classes=3,
            in_channels=1280,
            loss=dict(type='CrossEntropyLoss')))
    model = MODELS.build(
        dict(
            type='mmdonna.DonnaKDModel',
            student=net,
            teacher=net,
            teacher_checkpoint=None,
            distill=[
                dict(
                    student='head.fc',
                    teacher='head.fc',
                    loss=dict(type='mmdonna.KLDivergence', tau=4.0))
            ]))
    samples = [DataSample().set_gt_label(i % 3) for i in range(2)]
    losses = model(torch.randn(2, 3, 32, 32), samples, mode='loss')
    assert set(losses) == {'loss_task', 'loss_distill0'}
    assert torch.isfinite(losses['loss_distill0'])


def test_detector_necks_without_fpn_distil_every_level():
    """A ChannelMapper (DETR-like detectors) and an SSD neck: the NSR of
    each of their levels, weights summing to 1."""
    import os.path as osp

    from mmengine.config import Config

    from ..test_detection.test_detr_detector import tiny_detr
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    ssd = Config.fromfile(
        osp.join(root, 'configs/detection/'
                 'ssdlite_mobilenetv2_shapes_teacher.py')).model
    init_default_scope('mmdet')
    for net, levels in ((tiny_detr(), ['neck.convs.0']),
                        (ssd, [f'neck.extra_layers.{i}' for i in range(4)])):
        distill = default_distill(MODELS.build(net))
        assert [d['student'] for d in distill] == levels
        assert [d['teacher'] for d in distill] == levels
        assert abs(sum(d['loss']['loss_weight'] for d in distill) - 1) < 1e-9
