"""Shared tiny settings of the YOLOP project tests."""
import copy
import os.path as osp

import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData

import projects.yolop.yolop  # noqa: F401  (registers the project)
from mmdonna.registry import MODELS

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ROOT = osp.dirname(osp.dirname(PROJECT))
CONFIGS = osp.join(PROJECT, 'configs')


def model_cfg() -> dict:
    """The YOLOP-tiny model config of the project."""
    cfg = Config.fromfile(
        osp.join(CONFIGS, '_base_', 'models', 'yolop_tiny.py'))
    return copy.deepcopy(cfg.model.to_dict())


def build_model(cfg: dict = None) -> torch.nn.Module:
    init_default_scope('mmdet')
    model = MODELS.build(copy.deepcopy(cfg or model_cfg()))
    model.init_weights()
    return model


def fake_batch(n: int = 2, h: int = 64, w: int = 96, seed: int = 0):
    """Inputs and data samples with boxes, a drivable half and a lane."""
    gen = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, h, w, generator=gen)
    samples = []
    for i in range(n):
        s = DetDataSample(
            metainfo=dict(
                img_shape=(h, w),
                ori_shape=(h, w),
                pad_shape=(h, w),
                batch_input_shape=(h, w),
                scale_factor=(1.0, 1.0)))
        s.gt_instances = InstanceData(
            bboxes=torch.tensor([[4.0, 30.0, 30.0, 50.0],
                                 [40.0 + i, 28.0, 70.0, 60.0]]),
            labels=torch.tensor([0, 0]))
        da = torch.zeros(1, h, w, dtype=torch.long)
        da[:, h // 2:] = 1
        ll = torch.zeros(1, h, w, dtype=torch.long)
        ll[:, :, w // 2 - 1:w // 2 + 1] = 1
        s.gt_da_seg = PixelData(sem_seg=da)
        s.gt_ll_seg = PixelData(sem_seg=ll)
        samples.append(s)
    return inputs, samples
