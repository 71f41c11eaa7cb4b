"""Shared end-to-end fixtures: a digits teacher and its BKD supernet, trained
once per test session with the real MMEngine Runner (small epochs), from the
demo's config (the stock teacher config plus its donna section)."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmdonna.stages import StageContext
from mmdonna.stages import bkd_config as derive_bkd_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEACHER_CFG = osp.join(
    ROOT, 'configs/classification/'
    'mobilenetv2_digits_teacher.py')
DEMO_CFG = osp.join(ROOT,
                    'configs/classification/mobilenetv2_digits_search.py')


def teacher_config(work_dir: str, epochs: int = 4) -> Config:
    cfg = Config.fromfile(TEACHER_CFG)
    cfg.work_dir = work_dir
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler.T_max = epochs
    cfg.default_hooks.checkpoint.interval = epochs
    cfg.default_hooks.logger.interval = 50
    return cfg


def donna_config(teacher_dir: str, epochs: int = 2) -> Config:
    """The demo config with the given teacher and a shorter BKD where every
    option gets every step."""
    cfg = Config.fromfile(DEMO_CFG)
    cfg.donna.teacher_checkpoint = teacher_dir
    cfg.donna.bkd.update(epochs=epochs, train_options='all')
    return cfg


def bkd_config(work_dir: str, teacher_dir: str, epochs: int = 2) -> Config:
    """The derived BKD run of :func:`donna_config`, its library written into
    its own work dir."""
    cfg = derive_bkd_config(donna_config(teacher_dir, epochs), teacher_dir)
    cfg.work_dir = work_dir
    cfg.custom_hooks[0].out_file = 'block_library.json'
    cfg.default_hooks.logger.interval = 50
    return cfg


def stage_context(digits_bkd: dict, work_dir: str, **donna) -> StageContext:
    """A stage context over the fixtures' teacher and BKD supernet, with
    ``donna`` keys changed."""
    cfg = donna_config(digits_bkd['teacher_dir'])
    cfg.merge_from_dict({f'donna.{k}': v for k, v in donna.items()})
    ctx = StageContext(cfg, work_dir)
    ctx.teacher_checkpoint = digits_bkd['teacher_dir']
    ctx.supernet = digits_bkd['model']
    return ctx


@pytest.fixture(scope='session')
def digits_teacher(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('digits_teacher'))
    runner = Runner.from_cfg(teacher_config(work_dir))
    runner.train()
    metrics = runner.val_loop.run()
    return dict(work_dir=work_dir, accuracy=metrics['accuracy/top1'])


@pytest.fixture(scope='session')
def digits_bkd(tmp_path_factory, digits_teacher):
    work_dir = str(tmp_path_factory.mktemp('digits_bkd'))
    cfg = bkd_config(work_dir, digits_teacher['work_dir'])
    runner = Runner.from_cfg(cfg)
    runner.train()
    return dict(
        work_dir=work_dir,
        cfg=cfg,
        model=runner.model,
        teacher_dir=digits_teacher['work_dir'])
