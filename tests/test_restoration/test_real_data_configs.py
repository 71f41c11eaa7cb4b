"""The DIV2K / Set5 and SIDD configs read mmagic's standard folder layouts
with mmagic's own dataset and transforms (checked on a fake tiny copy)."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdonna.registry import DATASETS
from .utils import CONFIGS


def write(path: str, h: int, w: int, seed: int) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.random.default_rng(seed).integers(0, 255, (h, w, 3), np.uint8)
    cv2.imwrite(path, img)


def fake_div2k_set5(root: str) -> None:
    names = ['0001_s001.png', '0001_s002.png']
    for i, n in enumerate(names):
        write(osp.join(root, 'DIV2K/DIV2K_train_HR_sub', n), 120, 120, i)
        write(
            osp.join(root, 'DIV2K/DIV2K_train_LR_bicubic/X2_sub', n), 60, 60,
            i)
    with open(osp.join(root, 'DIV2K/meta_info_DIV2K800sub_GT.txt'), 'w') as f:
        f.write('\n'.join(f'{n} (120,120,3)' for n in names))
    write(osp.join(root, 'Set5/GTmod12/baby.png'), 48, 36, 5)
    write(osp.join(root, 'Set5/LRbicx2/baby.png'), 24, 18, 5)


def fake_sidd(root: str) -> None:
    for split, n in (('train', 2), ('val', 1)):
        for i in range(n):
            write(
                osp.join(root, f'SIDD/{split}/gt/{i:04d}_GT.png'), 260, 270, i)
            write(
                osp.join(root, f'SIDD/{split}/noisy/{i:04d}_NOISY.png'), 260,
                270, i + 10)


CASES = {'edsr_div2k-x2': fake_div2k_set5, 'nafnet_sidd': fake_sidd}


@pytest.mark.parametrize('prefix', sorted(CASES))
def test_real_data_configs_read_standard_layouts(prefix, tmp_path):
    CASES[prefix](str(tmp_path))
    init_default_scope('mmagic')
    loaders = []
    for stage in ('teacher', 'bkd', 'search'):
        cfg = Config.fromfile(osp.join(CONFIGS, f'{prefix}_{stage}.py'))
        loaders.append(cfg.train_dataloader)
        if stage == 'teacher':
            loaders.append(cfg.val_dataloader)
        else:
            hooks = cfg.get('bkd_custom_hooks') or cfg.custom_hooks
            assert osp.basename(cfg.teacher_config) == f'{prefix}_teacher.py'
            loaders.append(hooks[0].dataloader)
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
