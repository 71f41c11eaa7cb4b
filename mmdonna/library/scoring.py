"""Score every option of every block on held-out data (resumable)."""
import os
import os.path as osp
from typing import Iterable, Optional

import numpy as np
import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.logging import print_log
from torch import nn

from mmdonna.utils import atomic_write_json, load_json_artifact
from mmdonna.utils.io import ArtifactError
from .block_library import BlockLibrary

PARTIAL_FORMAT = 'mmdonna.block_library_partial.v1'


def module_cost(module: nn.Module, in_shape) -> dict:
    """Params and FLOPs of ``module`` at input (C, H, W), by mmengine's
    complexity analysis."""
    was = module.training
    module.eval()
    try:
        info = get_model_complexity_info(
            module,
            input_shape=tuple(in_shape),
            show_table=False,
            show_arch=False)
    finally:
        module.train(was)
    return dict(params=int(info['params']), flops=int(info['flops']))


def _unwrap(model):
    return model.module if hasattr(model, 'module') else model


@torch.no_grad()
def score_block_library(model,
                        dataloader: Iterable,
                        out_file: str,
                        resume: bool = True,
                        save_interval: int = 1,
                        max_batches: Optional[int] = None) -> BlockLibrary:
    """Measure NSR mean/std of all options on ``dataloader``.

    Progress is saved atomically to ``<out_file>.partial`` every
    ``save_interval`` batches; with ``resume`` a partial file for the same
    search space continues where it stopped (the dataloader must be
    deterministic: no shuffling). The finished library is written atomically
    to ``out_file`` and the partial file removed.

    Args:
        model (DonnaSupernet): The (BKD-trained) supernet; may be wrapped.
        dataloader (Iterable): Held-out batches as the runner gives them.
        out_file (str): Path of ``block_library.json``.
        resume (bool): Continue a partial scoring. Defaults to True.
        save_interval (int): Batches between partial saves. Defaults to 1.
        max_batches (int, optional): Score at most this many batches.
            Defaults to None (all).
    """
    model = _unwrap(model)
    space = model.space
    partial = out_file + '.partial'
    state = None
    if resume and osp.exists(partial):
        try:
            state = load_json_artifact(partial, PARTIAL_FORMAT,
                                       space.fingerprint(),
                                       'partial block library')
            print_log(
                f'resuming block-library scoring after '
                f'{state["batches_done"]} batches', 'current')
        except ArtifactError as e:
            print_log(f'{e}; starting the scoring over', 'current')
            state = None
    if state is None:
        state = dict(
            format=PARTIAL_FORMAT,
            config_hash=space.fingerprint(),
            batches_done=0,
            count=0,
            sum={
                p: [0.0] * n
                for p, n in zip(space.paths, space.num_options)
            },
            sumsq={
                p: [0.0] * n
                for p, n in zip(space.paths, space.num_options)
            })
    was_training = model.training
    model.eval()
    try:
        for i, data in enumerate(dataloader):
            if max_batches is not None and i >= max_batches:
                break
            if i < state['batches_done']:
                continue
            data = model.data_preprocessor(data, False)
            scores = model.score(data['inputs'])
            for p, s in scores.items():
                state['sum'][p] = (np.asarray(state['sum'][p]) +
                                   s.sum(1)).tolist()
                state['sumsq'][p] = (np.asarray(state['sumsq'][p]) +
                                     (s**2).sum(1)).tolist()
            state['count'] += int(next(iter(scores.values())).shape[1])
            state['batches_done'] = i + 1
            if state['batches_done'] % save_interval == 0:
                atomic_write_json(partial, state)
    finally:
        model.train(was_training)
    if state['count'] == 0:
        raise ValueError('the held-out dataloader gave no samples; check '
                         'the dataloader of the library scoring')
    n = state['count']
    blocks = {}
    for b in space.blocks:
        mean = np.asarray(state['sum'][b.path]) / n
        var = np.maximum(np.asarray(state['sumsq'][b.path]) / n - mean**2, 0)
        options = model.block_options(b.path)
        entries = []
        for j, opt in enumerate(b.options):
            cost = module_cost(options.export(j), b.in_shape)
            entries.append(
                dict(
                    option=opt,
                    nsr_mean=float(mean[j]),
                    nsr_std=float(np.sqrt(var[j])),
                    **cost))
        blocks[b.path] = dict(
            in_shape=list(b.in_shape),
            out_shape=list(b.out_shape),
            teacher=module_cost(model.teacher_block(b.path), b.in_shape),
            options=entries)
    library = BlockLibrary(space, blocks, n)
    library.save(out_file)
    if osp.exists(partial):
        os.remove(partial)
    return library
