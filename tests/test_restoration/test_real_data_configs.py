"""The DIV2K / Set5 and SIDD configs read mmagic's standard folder layouts
with mmagic's own dataset and transforms (checked on a fake tiny copy)."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdonna.registry import DATASETS
from mmdonna.stages import bkd_config
from ..test_stages.layouts import fake_div2k_set5, fake_sidd
from .utils import CONFIGS

CASES = {'edsr_div2k-x2': fake_div2k_set5, 'nafnet_sidd': fake_sidd}


@pytest.mark.parametrize('prefix', sorted(CASES))
def test_real_data_configs_read_standard_layouts(prefix, tmp_path):
    CASES[prefix](str(tmp_path))
    init_default_scope('mmagic')
    loaders = []
    teacher = Config.fromfile(osp.join(CONFIGS, f'{prefix}_teacher.py'))
    # the search config: the teacher's data, held-out data for the library
    bkd = bkd_config(Config.fromfile(osp.join(CONFIGS, f'{prefix}_search.py')))
    assert bkd.train_dataloader == teacher.train_dataloader
    assert bkd.custom_hooks[0].dataloader == teacher.val_dataloader
    for cfg in (teacher, bkd):
        loaders.append(cfg.train_dataloader)
    loaders += [teacher.val_dataloader, bkd.custom_hooks[0].dataloader]
    for loader in loaders:
        ds_cfg = loader.dataset
        ds_cfg.data_root = ds_cfg.data_root.replace('data', str(tmp_path), 1)
        dataset = DATASETS.build(ds_cfg)
        assert type(dataset).__name__ == 'BasicImageDataset'
        item = dataset[0]
        gt = item['data_samples'].gt_img
        img = item['inputs']
        if prefix == 'edsr_div2k-x2':
            if 'Set5' in ds_cfg.data_root:
                assert gt.shape == (3, 48, 36) and img.shape == (3, 24, 18)
            else:  # PairedRandomCrop of 96 ground-truth pixels
                assert gt.shape == (3, 96, 96) and img.shape == (3, 48, 48)
        else:
            if ds_cfg.data_root.endswith('train'):
                assert gt.shape == img.shape == (3, 256, 256)
            else:
                assert gt.shape == img.shape == (3, 260, 270)
