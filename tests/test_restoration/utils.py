"""Tiny versions of the restoration configs (real files, shrunk settings)."""
import copy
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

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


def tiny_bkd_config(task: str,
                    work_dir: str,
                    teacher_checkpoint: str,
                    iters: int = 30) -> Config:
    cfg = Config.fromfile(osp.join(CONFIGS, TASKS[task]['prefix'] + '_bkd.py'))
    cfg.work_dir = work_dir
    cfg.model.teacher.generator.update(TASKS[task]['generator'])
    cfg.model.teacher_checkpoint = teacher_checkpoint
    cfg.model.input_shape = (3, 32, 32)
    cfg.model.train_options = 'all'
    cfg.model.blocks = [
        dict(path=p, options=TINY_OPTIONS) for p in TASKS[task]['paths']
    ]
    tiny_data(cfg, task)
    cfg.train_cfg.max_iters = iters
    cfg.param_scheduler.T_max = iters
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = 10
    return cfg


def tiny_search_config(task: str,
                       work_dir: str,
                       teacher_checkpoint: str,
                       bkd_iters: int = 20,
                       finetune_iters: int = 8) -> Config:
    """The task's search config on tiny settings: tiny teacher, 2 blocks x
    4 options, 32x32 latency input, few timing runs, a small NSGA-II."""
    cfg = Config.fromfile(
        osp.join(CONFIGS, TASKS[task]['prefix'] + '_search.py'))
    bkd = tiny_bkd_config(task, work_dir, teacher_checkpoint, bkd_iters)
    cfg.work_dir = work_dir
    cfg.model = bkd.model
    # 2 x 2 architectures: a small front, so few subnets to export
    for block in cfg.model.blocks:
        block.options = [TINY_OPTIONS[0], TINY_OPTIONS[3]]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key):
            cfg[key] = bkd[key]
    cfg.bkd_custom_hooks = bkd.custom_hooks
    cfg.bkd_train_cfg.max_iters = bkd_iters
    cfg.bkd_param_scheduler.T_max = bkd_iters
    cfg.default_hooks.checkpoint.interval = bkd_iters
    cfg.default_hooks.logger.interval = 10
    cfg.latency.targets[0].update(warmup=1, repeats=3)
    cfg.latency.calibrate = 2
    cfg.latency.passes = 1
    cfg.train_cfg.update(pop_size=8, n_gen=3, num_random_samples=50)
    # the exported subnets train with the teacher config's data: shrink it
    # through a tiny copy of the teacher config
    teacher = tiny_teacher_config(task, work_dir)
    teacher_file = osp.join(work_dir, 'tiny_teacher.py')
    teacher.dump(teacher_file)
    cfg.teacher_config = teacher_file
    n = finetune_iters
    cfg.finetune.train_cfg.update(max_iters=n, val_interval=n)
    cfg.finetune.param_scheduler.T_max = n
    cfg.finetune.default_hooks.checkpoint.interval = n
    cfg.finetune.default_hooks.logger.interval = 4
    cfg.finetune_front = dict(num=1, metric='PSNR')
    return cfg
