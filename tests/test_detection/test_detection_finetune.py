"""The search configs' finetuning: an exported detector (searched
DonnaBackbone in the stock neck/head) trains with mmdonna's DonnaKDModel on
the detection loss plus the configured feature distillation."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mmdonna.distill import default_distill
from mmdonna.export import student_config
from mmdonna.registry import DATASETS, MODELS
from mmdonna.stages import finetune_overrides, teacher_config
from .test_detector_fit import build_supernet
from .utils import CONFIGS, shrink_loader

SEARCH = {
    'retinanet': 'retinanet_r18_shapes_search.py',
    'ssdlite': 'ssdlite_mobilenetv2_shapes_search.py',
}


@pytest.mark.parametrize('name', sorted(SEARCH))
def test_exported_detector_trains_with_detection_and_distill_losses(
        name, tmp_path):
    cfg = Config.fromfile(f'{CONFIGS}/{SEARCH[name]}')
    teacher_cfg = teacher_config(cfg)
    _, supernet = build_supernet(name, 2)
    init_default_scope('mmdet')
    student = student_config(teacher_cfg.model.to_dict(), supernet.space,
                             [1] * supernet.space.num_blocks, None, 'mmdet')
    # the config's distillation points, else the default (the FPN levels)
    distill = finetune_overrides(cfg)['distill'] or default_distill(
        MODELS.build(copy.deepcopy(student)))
    model = MODELS.build(
        dict(
            type='mmdonna.DonnaKDModel',
            student=student,
            teacher=teacher_cfg.model.to_dict(),
            teacher_checkpoint=None,
            distill=distill))
    loader = shrink_loader(teacher_cfg.train_dataloader,
                           str(tmp_path / 'data') + '/', 2, 2)
    dataset = DATASETS.build(loader['dataset'])
    data = pseudo_collate([dataset[0], dataset[1]])
    optim = build_optim_wrapper(model,
                                dict(optimizer=dict(type='AdamW', lr=1e-3)))
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    searched = {
        n: p.detach().clone()
        for n, p in model.student.backbone.named_parameters() if any(
            n.startswith(f'base.{path}.')
            for path in model.student.backbone.arch)
    }
    assert searched
    model.train()
    losses = model.train_step(data, optim)
    distilled = [k for k in losses if k.startswith('loss_distill')]
    assert len(distilled) == len(model.distill_cfg)
    task = [k for k in losses if k.startswith('loss_') and k not in distilled]
    assert task, losses.keys()
    for k, v in losses.items():
        assert torch.isfinite(v).all(), k
    # the searched blocks learn, the teacher stays frozen
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, teacher_before[k]), k
    after = dict(model.student.backbone.named_parameters())
    assert any(not torch.equal(after[n], v) for n, v in searched.items())
