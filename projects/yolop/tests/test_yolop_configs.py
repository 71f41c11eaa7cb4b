"""Every project config parses (the real-data one too, without data)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmdonna.stages import bkd_config, donna_settings, finetune_metric
from .yolop_test_utils import CONFIGS

PARSED = sorted(
    p for p in glob.glob(osp.join(CONFIGS, '*.py'))
    if not p.endswith('_finetune.py'))


@pytest.mark.parametrize('path', PARSED, ids=osp.basename)
def test_config_parses_and_loads_the_project(path):
    cfg = Config.fromfile(path)
    assert 'projects.yolop.yolop' in cfg.custom_imports.imports
    model = cfg.model
    assert model.type == 'mmdonna.YOLOP'
    assert model.backbone.type == 'CSPDarknet'


def test_real_data_config_points_at_bdd100k():
    cfg = Config.fromfile(osp.join(CONFIGS, 'yolop_tiny_bdd100k_teacher.py'))
    for key in ('train_dataloader', 'val_dataloader'):
        ds = cfg[key].dataset
        assert ds.type == 'mmdonna.BDD100KDataset'
        assert ds.data_root == 'data/bdd100k/'
        assert 'generate' not in ds
    assert cfg.custom_hooks[0].input_shape == (3, 384, 640)


@pytest.mark.parametrize(
    'name', ['yolop_tiny_generated_search.py', 'yolop_tiny_bdd100k_search.py'])
def test_search_config_cuts_the_encoder_stages(name):
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    settings = donna_settings(cfg)
    assert [b['path'] for b in settings['blocks']
            ] == [f'backbone.stage{i}' for i in range(1, 5)]
    assert settings['component'] == 'backbone'
    assert finetune_metric(cfg) == 'yolop/det_mAP50'
    assert bkd_config(cfg).model.teacher == cfg.model.to_dict()
