"""Score every option of every block on held-out data (resumable)."""
import logging
import os
import os.path as osp
import tempfile
from typing import Dict, Iterable, List, Optional, Tuple

import torch
from mmengine.logging import print_log
from torch import nn

from mmdonna import formats
from mmdonna.distill.nsr_loss import NSRAccumulator
from mmdonna.search_space.builder import channel_dim
from mmdonna.utils import atomic_write_json, config_hash, load_json_artifact
from mmdonna.utils.block_capture import ExtraInputs, with_extra_inputs
from mmdonna.utils.bn_calibration import (bn_estimation, bn_layers, bn_state,
                                          load_bn_state)
from mmdonna.utils.complexity import complexity
from mmdonna.utils.io import ArtifactError
from .block_library import BlockLibrary

PARTIAL_FORMAT = formats.BLOCK_LIBRARY_PARTIAL


def module_cost(module: nn.Module,
                in_shape,
                extra: Optional[ExtraInputs] = None) -> dict:
    """Params and FLOPs of ``module`` at input (C, H, W) or (L, C) (and the
    block's other inputs ``extra``, batch 1), by mmengine's complexity
    analysis (fused attention counted,
    :func:`mmdonna.utils.complexity.complexity`)."""
    return complexity(
        with_extra_inputs(module, extra), (torch.zeros(1, *in_shape), ))


def _unwrap(model):
    return model.module if hasattr(model, 'module') else model


def _atomic_torch_save(obj, path: str) -> None:
    fd, tmp = tempfile.mkstemp(
        dir=osp.dirname(osp.abspath(path)), prefix='.' + osp.basename(path))
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _calibrated_options(model) -> List[Tuple[str, int, nn.Module]]:
    """(path, index, module) of every option whose BN statistics BKD left
    behind (the teacher option keeps the teacher's)."""
    out = []
    for b in model.space.blocks:
        options = model.block_options(b.path)
        for j in options.trainable:
            module = options.option_modules(j)[0]
            if bn_layers(module):
                out.append((b.path, j, module))
    return out


@torch.no_grad()
def recalibrate_options(model,
                        batches: Iterable,
                        out_file: Optional[str] = None) -> Dict[str, dict]:
    """Re-estimate the BN statistics of every option of every block on
    training batches of the teacher's block inputs.

    Options that share weights (``ElasticMBConv``) share BN layers too, so
    every option gets its own statistics: ``{'<path>:<index>': state}``,
    loaded into its module before it runs (:func:`load_bn_state`). With
    ``out_file`` the states are saved there (atomically) and reused by a
    rerun: a resumed scoring sees the same statistics.

    Args:
        model (DonnaSupernet): The supernet (may be wrapped).
        batches (Iterable): Training batches as the runner gives them.
        out_file (str, optional): Where to keep the states.
            Defaults to None.
    """
    model = _unwrap(model)
    if out_file and osp.exists(out_file):
        try:
            saved = torch.load(out_file, map_location='cpu', weights_only=True)
            if saved.get('space') == model.space.fingerprint():
                return saved['states']
        except Exception as e:  # noqa: B902  (unreadable: calibrate again)
            print_log(f'{out_file} cannot be read ({e}); re-estimating BN',
                      'current', logging.WARNING)
    todo = _calibrated_options(model)
    states = {}
    for path, j, module in todo:
        for m in bn_layers(module):
            m.reset_running_stats()
        states[f'{path}:{j}'] = bn_state(module)
    was_training = model.training
    model.eval()
    n = 0
    try:
        for data in batches:
            data = model.data_preprocessor(data, False)
            feats = model.teacher_features(data['inputs'])
            for path, j, module in todo:
                key = f'{path}:{j}'
                load_bn_state(module, states[key])
                with bn_estimation(module, reset=False):
                    model.block_options(path)(feats[path][0], j,
                                              feats[path].extra)
                states[key] = bn_state(module)
            n += 1
    finally:
        model.train(was_training)
    if todo and n == 0:
        raise ValueError('BN recalibration got no training batches: check '
                         'train_dataloader')
    if out_file:
        _atomic_torch_save(
            dict(space=model.space.fingerprint(), states=states), out_file)
    return states


def _use_bn(model, path: str, j: int, states: Dict[str, dict]) -> None:
    state = states.get(f'{path}:{j}')
    if state is not None:
        load_bn_state(model.block_options(path).option_modules(j)[0], state)


@torch.no_grad()
def score_block_library(
        model,
        dataloader: Iterable,
        out_file: str,
        resume: bool = True,
        save_interval: int = 1,
        max_batches: Optional[int] = None,
        calib_batches: Optional[Iterable] = None) -> BlockLibrary:
    """Measure the NSR of all options on ``dataloader``.

    The NSR is the supernet's ``nsr_form``: DONNA's per-channel ratio pooled
    over the whole held-out set (``nsr_mean``) and its spread over batches
    (``nsr_std``). With ``calib_batches`` (training batches) every option's
    BN statistics are re-estimated first (:func:`recalibrate_options`, kept
    in ``<out_file>.bn.pth``).

    Progress is saved atomically to ``<out_file>.partial`` every
    ``save_interval`` batches; with ``resume`` a partial file for the same
    search space continues where it stopped (the dataloader must be
    deterministic: no shuffling). The finished library is written atomically
    to ``out_file`` and the partial files removed.

    Args:
        model (DonnaSupernet): The (BKD-trained) supernet; may be wrapped.
        dataloader (Iterable): Held-out batches as the runner gives them.
        out_file (str): Path of ``block_library.json``.
        resume (bool): Continue a partial scoring. Defaults to True.
        save_interval (int): Batches between partial saves. Defaults to 1.
        max_batches (int, optional): Score at most this many batches.
            Defaults to None (all).
        calib_batches (Iterable, optional): Training batches for BN
            recalibration. Defaults to None (statistics as BKD left them).
    """
    model = _unwrap(model)
    space = model.space
    form = getattr(model, 'nsr_form', 'channel')
    partial = out_file + '.partial'
    bn_file = out_file + '.bn.pth'
    if not resume:
        for f in (partial, bn_file):
            if osp.exists(f):
                os.remove(f)
    states = {}
    if calib_batches is not None:
        states = recalibrate_options(model, calib_batches, bn_file)
    digest = config_hash(
        dict(
            space=space.fingerprint(),
            form=form,
            recalibrated=calib_batches is not None))
    state = None
    if resume and osp.exists(partial):
        try:
            state = load_json_artifact(partial, PARTIAL_FORMAT, digest,
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
            config_hash=digest,
            batches_done=0,
            accumulators={
                p: [None] * n
                for p, n in zip(space.paths, space.num_options)
            })
    acc = {
        b.path: [
            NSRAccumulator(form, s, channel_dim(b.in_shape))
            for s in state['accumulators'][b.path]
        ]
        for b in space.blocks
    }
    was_training = model.training
    model.eval()
    try:
        for i, data in enumerate(dataloader):
            if max_batches is not None and i >= max_batches:
                break
            if i < state['batches_done']:
                continue
            data = model.data_preprocessor(data, False)
            feats = model.teacher_features(data['inputs'])
            for b in space.blocks:
                x, y = feats[b.path]
                extra = feats[b.path].extra
                options = model.block_options(b.path)
                for j in range(len(options)):
                    _use_bn(model, b.path, j, states)
                    acc[b.path][j].update(options(x, j, extra), y)
            state['accumulators'] = {
                p: [a.state_dict() for a in acc[p]]
                for p in space.paths
            }
            state['batches_done'] = i + 1
            if state['batches_done'] % save_interval == 0:
                atomic_write_json(partial, state)
    finally:
        model.train(was_training)
    if state['batches_done'] == 0:
        raise ValueError('the held-out dataloader gave no samples; check '
                         'the dataloader of the library scoring')
    first = acc[space.paths[0]][0].state
    num_samples = int(first.get('samples', 0)) or state['batches_done']
    blocks = {}
    for b in space.blocks:
        options = model.block_options(b.path)
        entries = []
        for j, opt in enumerate(b.options):
            _use_bn(model, b.path, j, states)
            cost = module_cost(options.export(j), b.in_shape, b.extra_inputs)
            entries.append(
                dict(
                    option=opt,
                    nsr_mean=acc[b.path][j].value(),
                    nsr_std=acc[b.path][j].std(),
                    **cost))
        blocks[b.path] = dict(
            in_shape=list(b.in_shape),
            out_shape=list(b.out_shape),
            teacher=module_cost(
                model.teacher_block(b.path), b.in_shape, b.extra_inputs),
            options=entries)
    library = BlockLibrary(
        space,
        blocks,
        num_samples,
        nsr_form=form,
        bn_recalibrated=calib_batches is not None)
    library.save(out_file)
    for f in (partial, bn_file):
        if osp.exists(f):
            os.remove(f)
    return library
