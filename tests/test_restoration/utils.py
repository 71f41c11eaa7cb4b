"""Tiny versions of the restoration configs (real files, shrunk settings)."""
import copy
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

from mmdonna.stages import bkd_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs', 'restoration')
#: A few options of every restoration family.
TINY_OPTIONS = [
    dict(type='EDSRBlock', kernel=3, width=0.5),
    dict(type='DWSepBlock', kernel=3, expand=2),
    dict(type='RCABlock', kernel=3, width=0.5),
    dict(type='MDTABlock', heads=1, ffn_expand=1),
]
TASKS = {
    'sr':
    dict(
        prefix='edsr_skimage-x2',
        generator=dict(mid_channels=16, num_blocks=2),
        paths=['generator.body.0', 'generator.body.1'],
        dataset=dict(images=['camera', 'chelsea'], patch_size=24)),
    'denoising':
    dict(
        prefix='nafnet_skimage-sigma25',
        generator=dict(mid_channels=8),
        paths=['generator.encoders.1', 'generator.middle_blks'],
        dataset=dict(images=['camera', 'chelsea'], patch_size=24)),
}


def tiny_data(cfg: Config, task: str, patches: int = 6) -> None:
    """Shrink every dataset of ``cfg`` in place (2 images, small patches,
    ``patches`` per image)."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader:
            loader.dataset.update(
                TASKS[task]['dataset'], max_patches_per_image=patches)
            loader.batch_size = 4
            loader.num_workers = 0
    for hook in cfg.get('custom_hooks') or []:
        if 'dataloader' in hook:
            hook.dataloader.dataset.update(
                TASKS[task]['dataset'], max_patches_per_image=patches)
            hook.dataloader.batch_size = 4


def tiny_teacher_config(task: str, work_dir: str, iters: int = 10) -> Config:
    cfg = Config.fromfile(
        osp.join(CONFIGS, TASKS[task]['prefix'] + '_teacher.py'))
    cfg.work_dir = work_dir
    cfg.model.generator.update(TASKS[task]['generator'])
    tiny_data(cfg, task)
    cfg.train_cfg.update(max_iters=iters, val_interval=iters)
    cfg.param_scheduler.T_max = iters
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = 5
    return cfg


def random_teacher_checkpoint(task: str, path: str, seed: int = 0) -> str:
    """Save a randomly initialised tiny teacher whose blocks are far from
    identity (NAFNet's block gains start at zero), as a real checkpoint."""
    from mmdonna.registry import MODELS
    init_default_scope('mmagic')
    cfg = tiny_teacher_config(task, osp.dirname(path))
    torch.manual_seed(seed)
    model = MODELS.build(copy.deepcopy(cfg.model))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(('beta', 'gamma')):
                p.normal_(0.5, 0.1)
    save_checkpoint(dict(state_dict=model.state_dict()), path)
    return path


def tiny_donna_config(task: str,
                      teacher_checkpoint: str,
                      bkd_iters: int = 30) -> Config:
    """The task's search config (the stock teacher config and its donna
    section) on tiny settings: tiny teacher and data, 2 blocks x 4 options,
    32x32 block shapes."""
    cfg = Config.fromfile(
        osp.join(CONFIGS, TASKS[task]['prefix'] + '_search.py'))
    cfg.model.generator.update(TASKS[task]['generator'])
    tiny_data(cfg, task)
    cfg.default_hooks.logger.interval = 10
    cfg.donna.update(
        teacher_checkpoint=teacher_checkpoint,
        input_shape=(3, 32, 32),
        blocks=[
            dict(path=p, options=TINY_OPTIONS) for p in TASKS[task]['paths']
        ],
        bkd=dict(iters=bkd_iters, train_options='all'))
    return cfg


def tiny_bkd_config(task: str,
                    work_dir: str,
                    teacher_checkpoint: str,
                    iters: int = 30) -> Config:
    """The BKD run derived from :func:`tiny_donna_config`, its library in
    its own work dir."""
    cfg = bkd_config(
        tiny_donna_config(task, teacher_checkpoint, iters), teacher_checkpoint)
    cfg.work_dir = work_dir
    cfg.custom_hooks[0].out_file = 'block_library.json'
    return cfg


def tiny_search_config(task: str,
                       teacher_checkpoint: str,
                       bkd_iters: int = 20,
                       finetune_iters: int = 8) -> Config:
    """:func:`tiny_donna_config` for the whole pipeline: 2 x 2
    architectures (a small front, few subnets to export), few timing runs,
    a small NSGA-II, a short finetune of the middle of the front."""
    cfg = tiny_donna_config(task, teacher_checkpoint, bkd_iters)
    for block in cfg.donna.blocks:
        block.options = [TINY_OPTIONS[0], TINY_OPTIONS[3]]
    cfg.donna.latency = dict(
        targets=[dict(warmup=1, repeats=3)], calibrate=2, passes=1)
    cfg.donna.search = dict(pop_size=8, n_gen=3, num_random_samples=50)
    cfg.donna.finetune.update(models='middle', iters=finetune_iters)
    cfg.default_hooks.logger.interval = 4
    return cfg
