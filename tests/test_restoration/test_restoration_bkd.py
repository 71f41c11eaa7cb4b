"""BKD of mmagic restoration teachers (EDSR for SR, NAFNet for denoising)
with the stock DonnaSupernet: the editor's data preprocessor and
``forward(mode='tensor')`` drive it, and training lowers the held-out NSR of
every block. (The Runner + BlockLibraryHook path runs in the end-to-end
test.)"""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mmdonna.library import score_block_library
from mmdonna.registry import DATASETS, MODELS
from .utils import TASKS, random_teacher_checkpoint, tiny_bkd_config


def batches(dataset_cfg, batch_size=4, seed=0):
    dataset = DATASETS.build(dataset_cfg)
    order = np.random.default_rng(seed).permutation(len(dataset))
    for i in range(0, len(order) - batch_size + 1, batch_size):
        yield pseudo_collate([dataset[j] for j in order[i:i + batch_size]])


@pytest.mark.parametrize('task', sorted(TASKS))
def test_bkd_lowers_held_out_nsr_of_every_block(task, tmp_path):
    ckpt = random_teacher_checkpoint(task, str(tmp_path / 'teacher.pth'))
    cfg = tiny_bkd_config(task, str(tmp_path / 'bkd'), ckpt)
    init_default_scope('mmagic')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    assert type(model.teacher).__name__ == 'BaseEditModel'
    assert model.space.paths == TASKS[task]['paths']
    teacher_before = {
        k: v.clone()
        for k, v in model.teacher.state_dict().items()
    }
    held_out = list(batches(cfg.custom_hooks[0].dataloader.dataset))
    before = score_block_library(model, held_out,
                                 str(tmp_path / 'untrained.json'))
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    for epoch in range(4):
        for data in batches(cfg.train_dataloader.dataset, seed=epoch):
            losses = model.train_step(data, optim)
    assert set(losses) >= {f'loss_block{i}' for i in range(2)}
    after = score_block_library(model, held_out,
                                str(tmp_path / 'block_library.json'))
    for path in model.space.paths:
        # the students (the teacher's own block is 0 before and after)
        keep = model.block_options(path).trainable
        trained, untrained = after.nsr(path)[keep], before.nsr(path)[keep]
        assert trained.mean() < 0.7 * untrained.mean(), path
        assert (trained < untrained).all(), path
        assert after.blocks[path]['teacher']['flops'] > 0
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, teacher_before[k]), k
