"""Write front architectures as standalone mm configs + BKD weights."""
import copy
import os
import os.path as osp
import tempfile
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from torch import nn

from mmdonna.registry import MODELS
from mmdonna.search_space import SearchSpace
from mmdonna.search_space.builder import SearchSpaceError, infer_stride
from mmdonna.utils.bn_calibration import (DEFAULT_CALIB_BATCHES,
                                          recalibrate_model_bn)
from mmdonna.utils.config import load_config

#: Default distillation point per model family (the logits of mmpretrain's
#: linear heads); configs override with ``finetune.distill``.
DEFAULT_DISTILL = [
    dict(
        student='head.fc',
        teacher='head.fc',
        loss=dict(type='mmdonna.KLDivergence', tau=4.0, loss_weight=1.0))
]


def split_component(paths: Sequence[str]) -> Tuple[str, List[str]]:
    """``['backbone.layer2', 'backbone.layer3']`` -> ``('backbone',
    ['layer2', 'layer3'])``; all cut points must lie in one component."""
    comps = {p.split('.', 1)[0] for p in paths}
    if len(comps) != 1 or any('.' not in p for p in paths):
        raise SearchSpaceError(
            f'cut points {list(paths)} must all lie inside one component '
            f'of the model (e.g. backbone.* or generator.*) to export a '
            f'DonnaBackbone')
    comp = comps.pop()
    return comp, [p.split('.', 1)[1] for p in paths]


def scoped(cfg: dict, scope: Optional[str]) -> dict:
    """Prefix ``cfg['type']`` with ``scope`` so mmdonna's registry builds it
    in the right library."""
    cfg = copy.deepcopy(cfg)
    t = cfg.get('type')
    if scope and isinstance(t, str) and '.' not in t:
        cfg['type'] = f'{scope}.{t}'
    return cfg


def arch_spec(space: SearchSpace, code: Sequence[int],
              prefix_len: int) -> Dict[str, dict]:
    """``DonnaBackbone.arch`` for one code."""
    arch = {}
    for block, idx in zip(space.blocks, space.check_code(code)):
        arch[block.path[prefix_len:]] = dict(
            option=dict(block.options[idx]),
            in_channels=int(block.in_shape[0]),
            out_channels=int(block.out_shape[0]),
            stride=infer_stride(block.in_shape, block.out_shape))
    return arch


def student_config(teacher_model_cfg: dict, space: SearchSpace,
                   code: Sequence[int], library: Optional[str],
                   scope: Optional[str]) -> dict:
    """The teacher's model config with its searched component replaced by a
    :class:`DonnaBackbone`."""
    comp, _ = split_component(space.paths)
    student = copy.deepcopy(teacher_model_cfg)
    student[comp] = dict(
        type='mmdonna.DonnaBackbone',
        base=scoped(teacher_model_cfg[comp], scope),
        arch=arch_spec(space, code,
                       len(comp) + 1),
        library=library,
        library_prefix=comp + '.')
    return student


@torch.no_grad()
def assemble_weights(student: nn.Module, teacher: nn.Module,
                     space: SearchSpace, code: Sequence[int],
                     option_module) -> Dict[str, torch.Tensor]:
    """Student state dict: teacher weights outside the cut blocks, BKD option
    weights inside them. Every student tensor is accounted for."""
    comp, rels = split_component(space.paths)
    base = student.get_submodule(comp).base
    for block, rel, idx in zip(space.blocks, rels, space.check_code(code)):
        base.get_submodule(rel).load_state_dict(
            option_module(block.path, idx).state_dict())
    cut = tuple(p + '.' for p in space.paths)
    teacher_sd = {
        k: v
        for k, v in teacher.state_dict().items() if not k.startswith(cut)
    }
    renamed = {}
    for k, v in teacher_sd.items():
        if k.startswith(comp + '.'):
            k = f'{comp}.base.{k[len(comp) + 1:]}'
        renamed[k] = v
    missing, unexpected = student.load_state_dict(renamed, strict=False)
    own = tuple(f'{comp}.base.{r}.' for r in rels)
    stray = [k for k in missing if not k.startswith(own)]
    if stray or unexpected:
        raise RuntimeError(
            f'weight assembly does not line up: student tensors without a '
            f'source {stray[:5]}, teacher tensors without a target '
            f'{list(unexpected)[:5]}')
    return {k: v.clone() for k, v in student.state_dict().items()}


def _atomic_save(obj, path: str) -> None:
    fd, tmp = tempfile.mkstemp(
        dir=osp.dirname(path), prefix='.' + osp.basename(path))
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _atomic_dump(cfg: Config, path: str) -> None:
    fd, tmp = tempfile.mkstemp(
        dir=osp.dirname(path), prefix='.tmp_', suffix='.py')
    os.close(fd)
    try:
        cfg.dump(tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def export_subnet(cfg: Config,
                  work_dir: str,
                  supernet,
                  code: Sequence[int],
                  name: str,
                  teacher_cfg: Config,
                  teacher_checkpoint: str,
                  meta: Optional[dict] = None,
                  subdir: str = 'subnets',
                  calib_loader: Optional[Iterable] = None) -> Tuple[str, str]:
    """Write ``<work_dir>/subnets/<name>.py`` (a standalone config that
    finetunes the architecture with KD from the teacher using stock mm
    training) and ``<name>.pth`` (its BKD-initialised weights).

    Args:
        cfg (Config): The search config (``finetune`` key: optional overrides
            of train_cfg / optim_wrapper / param_scheduler / distill).
        work_dir (str): The search work dir.
        supernet (DonnaSupernet): Trained supernet (weights of the options).
        code (Sequence[int]): Architecture, full search-space indexing.
        name (str): File stem.
        teacher_cfg (Config): The teacher's own training config (data,
            evaluator, runtime for the task).
        teacher_checkpoint (str): Teacher weights for distillation.
        meta (dict, optional): Extra facts stored in the config
            (``donna_meta``). Defaults to None.
        subdir (str): Folder in ``work_dir`` for the files.
            Defaults to 'subnets'.
        calib_loader (Iterable, optional): Training batches that re-estimate
            the assembled model's BN statistics (``cfg.bn_calib_batches`` of
            them, 0 to skip); built from the teacher config's
            ``train_dataloader`` when not given. Defaults to None.
    """
    space = supernet.space
    out_dir = osp.join(work_dir, subdir)
    os.makedirs(out_dir, exist_ok=True)
    scope = teacher_cfg.get('default_scope')
    library = osp.abspath(osp.join(work_dir, 'block_library.json'))
    student = student_config(teacher_cfg.model.to_dict(), space, code, library,
                             scope)
    model_cfg = copy.deepcopy(student)
    if teacher_cfg.get('data_preprocessor') is not None:
        # what the Runner merges in: BN recalibration sees normalised inputs
        model_cfg.setdefault('data_preprocessor',
                             copy.deepcopy(teacher_cfg.data_preprocessor))
    model = MODELS.build(model_cfg)
    state = assemble_weights(model, supernet.teacher, space, code,
                             supernet.export_option)
    num_calib = calib_batches(cfg)
    if num_calib:
        if calib_loader is None:
            calib_loader = calibration_loader(teacher_cfg)
        # BKD left each option's BN statistics where its sampled steps took
        # them; the assembled network starts from its own
        recalibrate_model_bn(model, calib_loader, num_calib)
        state = {k: v.clone() for k, v in model.state_dict().items()}
    pth = osp.abspath(osp.join(out_dir, name + '.pth'))
    _atomic_save(dict(state_dict=state, meta=dict(donna_code=list(code))), pth)

    finetune = copy.deepcopy(cfg.get('finetune', {}))
    sub = copy.deepcopy(teacher_cfg._cfg_dict.to_dict())
    sub.pop('model', None)
    for key in ('train_cfg', 'optim_wrapper', 'param_scheduler',
                'default_hooks', 'train_dataloader', 'randomness'):
        if key in finetune:
            sub[key] = finetune.pop(key)
    distill = finetune.pop('distill', DEFAULT_DISTILL)
    if finetune:
        raise KeyError(
            f'finetune has unknown keys {sorted(finetune)}; allowed: '
            f'train_cfg, optim_wrapper, param_scheduler, default_hooks, '
            f'train_dataloader, randomness, distill')
    teacher_model = teacher_cfg.model.to_dict()
    sub['student'] = student
    sub['model'] = dict(
        type='mmdonna.DonnaKDModel',
        student=student,
        teacher=teacher_model,
        teacher_checkpoint=osp.abspath(teacher_checkpoint),
        student_checkpoint=pth,
        distill=distill)
    sub['load_from'] = None
    sub['resume'] = False
    sub['work_dir'] = osp.join(osp.abspath(work_dir), 'finetune', name)
    sub['experiment_name'] = name
    sub['donna_meta'] = dict(
        config_hash=space.fingerprint(),
        code=list(int(c) for c in code),
        arch={
            p: o
            for p, o in space.decode(code).items()
        },
        **(meta or {}))
    py = osp.join(out_dir, name + '.py')
    _atomic_dump(Config(sub), py)
    print_log(f'exported {name}: {py}', 'current')
    return py, pth


def calib_batches(cfg: Config) -> int:
    """``cfg.bn_calib_batches``: training batches that re-estimate BN
    statistics of assembled models (0: none)."""
    n = cfg.get('bn_calib_batches', DEFAULT_CALIB_BATCHES)
    if not isinstance(n, int) or n < 0:
        raise ValueError(f'bn_calib_batches={n!r} must be an integer >= 0')
    return n


def calibration_loader(teacher_cfg: Config):
    """The teacher config's training dataloader (BN recalibration)."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    if not teacher_cfg.get('train_dataloader'):
        raise KeyError('the teacher config has no train_dataloader: BN '
                       'recalibration of exported subnets needs training '
                       'data (or set bn_calib_batches=0)')
    with DefaultScope.overwrite_default_scope(
            teacher_cfg.get('default_scope')):
        return Runner.build_dataloader(
            copy.deepcopy(teacher_cfg.train_dataloader.to_dict()))


def export_front(cfg: Config, work_dir: str, supernet,
                 front: Sequence[dict]) -> List[str]:
    """Export every front entry (``dict(code=[...], name=optional)``).

    Already exported subnets whose config records the same code are kept
    (the stage resumes). The teacher's config comes from ``cfg.teacher_config``
    and its weights from ``cfg.model.teacher_checkpoint``.
    """
    if not cfg.get('teacher_config'):
        raise KeyError('teacher_config is not set: point it at the '
                       "teacher's training config to export subnets")
    teacher_cfg = load_config(cfg.teacher_config)
    teacher_ckpt = cfg.model.get('teacher_checkpoint')
    if teacher_ckpt is None:
        raise KeyError('model.teacher_checkpoint is not set: the exported '
                       'subnets distil from the trained teacher')
    from mmdonna.distill.kd_model import resolve_checkpoint
    teacher_ckpt = resolve_checkpoint(teacher_ckpt, 'model.teacher_checkpoint')
    paths = []
    loader = None
    for i, entry in enumerate(front):
        name = entry.get('name') or f'pareto_{i:02d}'
        py = osp.join(work_dir, 'subnets', name + '.py')
        pth = py[:-3] + '.pth'
        if osp.exists(py) and osp.exists(pth):
            try:
                done = Config.fromfile(py).donna_meta.code
            except Exception:  # noqa: B902  (unreadable: export again)
                done = None
            if done == [int(c) for c in entry['code']]:
                paths.append(py)
                continue
        meta = {
            k: entry[k]
            for k in ('latency_ms', 'lut_ms', 'surrogate', 'target')
            if k in entry
        }
        if loader is None and calib_batches(cfg):
            loader = calibration_loader(teacher_cfg)
        paths.append(
            export_subnet(
                cfg,
                work_dir,
                supernet,
                entry['code'],
                name,
                teacher_cfg,
                teacher_ckpt,
                meta,
                calib_loader=loader)[0])
    return paths
