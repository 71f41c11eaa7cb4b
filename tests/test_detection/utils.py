"""Tiny versions of the detection configs for fast tests."""
import copy
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch.nn.modules.batchnorm import _BatchNorm

from mmdonna.registry import MODELS
from mmdonna.stages import bkd_config
from mmdonna.utils.model_call import tensor_call

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs', 'detection')

OPTIONS = [
    dict(type='MBConv', kernel=3, expand=3),
    dict(type='MBConv', kernel=5, expand=3),
    dict(type='ResBlock'),
]
#: detector -> (donna config, two cut points): two different stock mmdet
#: detectors (RetinaNet/ResNet/FPN, SSDLite/MobileNetV2/SSD neck).
DETECTORS = {
    'retinanet':
    ('retinanet_r18_shapes_search.py', ['backbone.layer2', 'backbone.layer3']),
    'ssdlite': ('ssdlite_mobilenetv2_shapes_search.py',
                ['backbone.layer3', 'backbone.layer4']),
}
IMG = 64


def shrink_loader(loader: dict, root: str, num_images: int,
                  batch_size: int) -> dict:
    """A config dataloader on ``num_images`` generated ``IMG`` px images."""
    loader = copy.deepcopy(loader)
    loader['batch_size'] = batch_size
    ds = loader['dataset']
    ds['data_root'] = root
    ds['generate'] = dict(
        num_images=num_images,
        seed=ds['generate']['seed'],
        img_size=IMG,
        min_size=8,
        max_size=24)
    for t in ds['pipeline']:
        if t['type'] == 'Resize':
            t['scale'] = (IMG, IMG)
    return loader


def save_teacher(model_cfg: dict, path: str) -> str:
    """An untrained teacher checkpoint, as training writes it, with BN
    statistics calibrated on random images (activations of a trained
    network's scale, not the vanishing ones of fresh running stats)."""
    init_default_scope('mmdet')
    teacher = MODELS.build(copy.deepcopy(model_cfg))
    teacher.init_weights()
    bns = [m for m in teacher.modules() if isinstance(m, _BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration
    teacher.train()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for _ in range(3):
            tensor_call(teacher, torch.randn(4, 3, IMG, IMG, generator=gen))
    torch.save(dict(state_dict=teacher.state_dict()), path)
    return path


def tiny_donna_config(name: str, tmp_path, max_epochs: int = 2) -> Config:
    """The detector's donna config on 8 generated images (4 held out), an
    untrained teacher, 2 cut points, 3 options per block, no download."""
    cfg_file, paths = DETECTORS[name]
    cfg = Config.fromfile(osp.join(CONFIGS, cfg_file))
    root = str(tmp_path / 'data') + '/'
    cfg.train_dataloader = shrink_loader(cfg.train_dataloader, root, 8, 4)
    cfg.val_dataloader = shrink_loader(cfg.val_dataloader, root, 4, 4)
    cfg.donna.update(
        teacher_checkpoint=save_teacher(cfg.model,
                                        str(tmp_path / 'teacher.pth')),
        input_shape=(3, IMG, IMG),
        blocks=[dict(path=p, options=OPTIONS) for p in paths],
        bkd=dict(epochs=max_epochs, lr=1e-2, train_options='all'))
    return cfg


def tiny_bkd_config(name: str, tmp_path, max_epochs: int = 2) -> Config:
    """The BKD run derived from :func:`tiny_donna_config`, its library in
    its own work dir."""
    cfg = tiny_donna_config(name, tmp_path, max_epochs)
    bcfg = bkd_config(cfg, cfg.donna.teacher_checkpoint)
    bcfg.custom_hooks[0].out_file = 'block_library.json'
    bcfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    bcfg.work_dir = str(tmp_path / 'work')
    # a few steps decide the tests' assertions: the same steps every run
    bcfg.randomness = dict(seed=0)
    return bcfg
