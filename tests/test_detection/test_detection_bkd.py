"""The detection config pattern: a stock mmdet detector config + cut points
in its backbone trains with the unchanged DonnaSupernet / Runner / block
library, for two different detectors."""
import os.path as osp

import numpy as np
import pytest
from mmengine.runner import Runner

from mmdonna.library import BlockLibrary
from .utils import DETECTORS, tiny_bkd_config


@pytest.mark.parametrize('name', sorted(DETECTORS))
def test_bkd_on_detection_images_lowers_nsr_and_scores_library(name, tmp_path):
    cfg = tiny_bkd_config(name, tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model
    assert model.space.paths == DETECTORS[name][1]
    # the teacher is the stock detector, run after mmdet's preprocessor
    assert type(model.teacher).__module__.startswith('mmdet.')
    assert type(model.data_preprocessor).__name__ == 'DetDataPreprocessor'
    hub = runner.message_hub
    for i in range(len(model.space.paths)):
        hist = hub.get_scalar(f'train/loss_block{i}').data[0]
        assert len(hist) == 4
        assert np.mean(hist[-2:]) < hist[0]
    lib = BlockLibrary.load(
        osp.join(cfg.work_dir, 'block_library.json'), model.space)
    assert lib.num_samples == 4
    for path in model.space.paths:
        nsr = lib.nsr(path)
        # three student options and the teacher's own block (NSR 0)
        assert nsr.shape == (4, ) and np.isfinite(nsr).all()
        assert (nsr[:-1] > 0).all() and nsr[-1] == 0
        entry = lib.blocks[path]
        assert entry['teacher']['params'] > 0
        assert all(o['flops'] > 0 for o in entry['options'])
