"""BKD on the built-in digits teacher with the stock Runner: held-out NSR
drops for every block, and the library ranks options sensibly."""
import copy
import os.path as osp

import numpy as np
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import Runner

from mmdonna.library import BlockLibrary, score_block_library


def test_teacher_learns_digits(digits_teacher):
    assert digits_teacher['accuracy'] > 70


def test_bkd_lowers_every_block_nsr(digits_bkd):
    cfg = digits_bkd['cfg']
    lib = BlockLibrary.load(
        osp.join(digits_bkd['work_dir'], 'block_library.json'),
        digits_bkd['model'].space)
    init_default_scope('mmpretrain')
    fresh = MODELS.build(copy.deepcopy(cfg.model))
    fresh.init_weights()
    loader = Runner.build_dataloader(
        copy.deepcopy(cfg.custom_hooks[0].dataloader))
    before = score_block_library(
        fresh, loader,
        osp.join(digits_bkd['work_dir'], 'untrained_library.json'))
    assert lib.bn_recalibrated and lib.nsr_form == 'channel'
    for path in lib.space.paths:
        # the teacher's own option is 0 in both
        keep = digits_bkd['model'].block_options(path).trainable
        trained, untrained = lib.nsr(path)[keep], before.nsr(path)[keep]
        # every block: the median option at most 75 % of its untrained NSR
        assert np.median(trained / untrained) < 0.75, path
        assert trained.min() < untrained.min(), path


def test_library_ranks_options_sensibly(digits_bkd):
    """Within a block, the largest MBConv (expand 6, depth 2) imitates the
    teacher block better than the smallest (expand 3, depth 1) with the same
    kernel, in most (kernel, block) pairs."""
    lib = BlockLibrary.load(
        osp.join(digits_bkd['work_dir'], 'block_library.json'))
    wins = total = 0
    for path in lib.space.paths:
        entries = lib.blocks[path]['options']
        by_key = {}
        for o in entries:
            opt = o['option']
            if opt['type'] == 'MBConv':
                key = (opt.get('kernel'), opt.get('expand'), opt.get('depth'))
                by_key[key] = o['nsr_mean']
        for k in (3, 5, 7):
            if (k, 6, 2) in by_key and (k, 3, 1) in by_key:
                total += 1
                wins += by_key[(k, 6, 2)] < by_key[(k, 3, 1)]
    assert total >= 5 and wins / total >= 0.7, (wins, total)
