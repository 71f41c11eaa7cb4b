"""DonnaKDModel logs its total loss as ``loss``: a student whose own loss
is called ``loss`` (mmpretrain, mmagic) has it renamed ``loss_task``."""
import torch
from mmengine.hub import get_config
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmdonna.registry import MODELS


def test_total_loss_is_not_logged_under_the_students_key():
    init_default_scope('mmpretrain')
    net = get_config('mmpretrain::_base_/models/mobilenet_v2_1x.py').model
    net.backbone.widen_factor = 0.25
    net.head.update(num_classes=3, in_channels=1280)
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
    total, log_vars = model.parse_losses(losses)
    assert torch.allclose(log_vars['loss'],
                          losses['loss_task'] + losses['loss_distill0'])
