"""Shared end-to-end fixtures: a digits teacher and its BKD supernet, trained
once per test session with the real MMEngine Runner (small epochs)."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEACHER_CFG = osp.join(
    ROOT, 'configs/classification/'
    'mobilenetv2_digits_teacher.py')
BKD_CFG = osp.join(ROOT, 'configs/classification/mobilenetv2_digits_bkd.py')


def teacher_config(work_dir: str, epochs: int = 4) -> Config:
    cfg = Config.fromfile(TEACHER_CFG)
    cfg.work_dir = work_dir
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler.T_max = epochs
    cfg.default_hooks.checkpoint.interval = epochs
    cfg.default_hooks.logger.interval = 50
    return cfg


def bkd_config(work_dir: str, teacher_dir: str, epochs: int = 2) -> Config:
    cfg = Config.fromfile(BKD_CFG)
    cfg.work_dir = work_dir
    cfg.model.teacher_checkpoint = teacher_dir
    cfg.model.train_options = 'all'  # every option gets every step
    cfg.train_cfg.max_epochs = epochs
    cfg.param_scheduler.T_max = epochs
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 50
    return cfg


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
    return dict(work_dir=work_dir, cfg=cfg, model=runner.model)
