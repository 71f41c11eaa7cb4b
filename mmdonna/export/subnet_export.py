"""Write front architectures as standalone mm configs + BKD weights."""
import copy
import os
import os.path as osp
import tempfile
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from torch import nn

from mmdonna.distill import default_distill
from mmdonna.distill.kd_model import resolve_checkpoint
from mmdonna.registry import MODELS
from mmdonna.search_space import SearchSpace
from mmdonna.search_space.builder import (SearchSpaceError, channels_of,
                                          infer_scale)
from mmdonna.utils.bn_calibration import (DEFAULT_CALIB_BATCHES,
                                          recalibrate_model_bn, seeded_loader)
from .subnet_manifest import (export_settings, manifest_entry, read_manifest,
                              subnet_is_current, write_manifest)

#: mmengine's predefined variable of a config's folder (``Config.fromfile``).
FILE_DIR = '{{ fileDirname }}'
#: Keys of the teacher's config that an exported subnet's finetuning may
#: replace (besides ``distill``).
FINETUNE_KEYS = ('train_cfg', 'optim_wrapper', 'param_scheduler',
                 'default_hooks', 'train_dataloader', 'randomness')


def split_components(paths: Sequence[str]) -> Dict[str, List[str]]:
    """``['backbone.layer2', 'backbone.layer3', 'neck.fpn_convs.0']`` ->
    ``{'backbone': ['layer2', 'layer3'], 'neck': ['fpn_convs.0']}`` (in
    the order of the paths); every cut point must lie inside a component
    (``backbone.layer2``, not ``backbone``)."""
    whole = [p for p in paths if '.' not in p]
    if whole:
        raise SearchSpaceError(
            f'cut points {whole} are whole components of the model: cut '
            f'inside one (e.g. backbone.* or generator.*) to export a '
            f'DonnaBackbone')
    out: Dict[str, List[str]] = {}
    for p in paths:
        comp, rel = p.split('.', 1)
        out.setdefault(comp, []).append(rel)
    return out


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
    """``DonnaBackbone.arch`` for one code (a token block's spec says
    ``layout='tokens'``: C of its (N, L, C) tokens, stride 1; a block that
    upsamples by s says ``upsample=s``, stride 1; one returning
    ``(y, *inputs passed through)`` says which in ``extra_outputs``; one
    whose children its parent runs names them in ``teacher_children``)."""
    arch = {}
    for block, idx in zip(space.blocks, space.check_code(code)):
        stride, upsample = infer_scale(block.in_shape, block.out_shape)
        spec = dict(
            option=dict(block.options[idx]),
            in_channels=channels_of(block.in_shape),
            out_channels=channels_of(block.out_shape),
            stride=stride)
        if upsample > 1:
            spec['upsample'] = upsample
        if block.layout != 'nchw':
            spec['layout'] = block.layout
        if block.extra_outputs:  # returns (y, *inputs passed through)
            spec['extra_outputs'] = [list(m) for m in block.extra_outputs]
        if block.teacher_children:  # kept from the base's block
            spec['teacher_children'] = list(block.teacher_children)
        arch[block.path[prefix_len:]] = spec
    return arch


def student_config(teacher_model_cfg: dict, space: SearchSpace,
                   code: Sequence[int], library: Optional[str],
                   scope: Optional[str]) -> dict:
    """The teacher's model config with every component holding cut points
    (``backbone``, ``neck``, ...) replaced by a :class:`DonnaBackbone` over
    it (its arch: that component's blocks)."""
    arch = arch_spec(space, code, 0)
    comps = split_components(space.paths)
    if not all(has_type(teacher_model_cfg.get(c)) for c in comps):
        # a component its parent builds from a type-less dict (a DETR's
        # encoder): the whole model, its blocks replaced after it is built
        return dict(
            type='mmdonna.DonnaModel',
            base=scoped(teacher_model_cfg, scope),
            arch=arch,
            library=library)
    student = copy.deepcopy(teacher_model_cfg)
    for comp, rels in comps.items():
        student[comp] = dict(
            type='mmdonna.DonnaBackbone',
            base=scoped(teacher_model_cfg[comp], scope),
            arch={rel: arch[f'{comp}.{rel}']
                  for rel in rels},
            library=library,
            library_prefix=comp + '.')
    return student


def has_type(cfg) -> bool:
    """Whether a component config is built through a registry (a dict with
    a ``type``), so a :class:`DonnaBackbone` can take its place."""
    return isinstance(cfg, dict) and 'type' in cfg


def searched_prefix(student: nn.Module, comp: str) -> str:
    """Where the teacher's component ``comp`` lives in an exported
    student: ``'<comp>.base.'`` in its :class:`DonnaBackbone`, or
    ``'<comp>.'`` in a :func:`DonnaModel` (the teacher's own names)."""
    owner = student.get_submodule(comp)
    return f'{comp}.base.' if hasattr(owner, 'arch') and hasattr(
        owner, 'base') else f'{comp}.'


@torch.no_grad()
def assemble_weights(student: nn.Module, teacher: nn.Module,
                     space: SearchSpace, code: Sequence[int],
                     option_module) -> Dict[str, torch.Tensor]:
    """Student state dict: teacher weights outside the cut blocks, BKD option
    weights inside them (in every searched component). Every student tensor
    has a source and every teacher tensor a target."""
    comps = split_components(space.paths)
    prefix = {c: searched_prefix(student, c) for c in comps}
    for block, idx in zip(space.blocks, space.check_code(code)):
        comp, rel = block.path.split('.', 1)
        student.get_submodule(prefix[comp] + rel).load_state_dict(
            option_module(block.path, idx).state_dict())
    cut = tuple(p + '.' for p in space.paths)
    renamed = {}
    for k, v in teacher.state_dict().items():
        if k.startswith(cut):
            continue
        comp, _, rest = k.partition('.')
        renamed[prefix[comp] + rest if comp in comps else k] = v
    missing, unexpected = student.load_state_dict(renamed, strict=False)
    own = tuple(f'{prefix[comp]}{rel}.' for comp, rels in comps.items()
                for rel in rels)
    stray = [k for k in missing if not k.startswith(own)]
    if stray or unexpected:
        raise RuntimeError(
            f'weight assembly does not line up: student tensors without a '
            f'source {stray[:5]}, teacher tensors without a target '
            f'{list(unexpected)[:5]}')
    return {k: v.clone() for k, v in student.state_dict().items()}


def config_relative(path: str, folder: str, work_dir: str) -> str:
    """``path`` as an exported config in ``folder`` writes it: inside
    ``work_dir``, relative to the config's folder through mmengine's
    ``{{ fileDirname }}`` (filled in by ``Config.fromfile``), so a moved or
    copied work dir uses its own files; outside it, absolute."""
    path, root = osp.abspath(path), osp.abspath(work_dir)
    if osp.commonpath([path, root]) != root:
        return path
    rel = osp.relpath(path, osp.abspath(folder)).replace(os.sep, '/')
    return f'{FILE_DIR}/{rel}'


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


def export_subnet(teacher_cfg: Config,
                  teacher_checkpoint: str,
                  work_dir: str,
                  supernet,
                  code: Sequence[int],
                  name: str,
                  finetune: Optional[dict] = None,
                  bn_calib_batches: int = DEFAULT_CALIB_BATCHES,
                  meta: Optional[dict] = None,
                  subdir: str = 'subnets',
                  calib_loader: Optional[Iterable] = None) -> Tuple[str, str]:
    """Write ``<work_dir>/subnets/<name>.py`` (a standalone config that
    finetunes the architecture with KD from the teacher using stock mm
    training) and ``<name>.pth`` (its BKD-initialised weights). The config
    names the files of ``work_dir`` (weights, library, its finetune folder
    ``<subdir>/../finetune/<name>``) relative to itself, see
    :func:`config_relative`.

    Args:
        teacher_cfg (Config): The teacher's own training config (data,
            evaluator, runtime for the task).
        teacher_checkpoint (str): Teacher weights for distillation.
        work_dir (str): The search work dir.
        supernet (DonnaSupernet): Trained supernet (weights of the options).
        code (Sequence[int]): Architecture, full search-space indexing.
        name (str): File stem.
        finetune (dict, optional): What the finetuning changes in the
            teacher's config: any of ``train_cfg``, ``optim_wrapper``,
            ``param_scheduler``, ``default_hooks``, ``train_dataloader``,
            ``randomness`` (replacing the teacher's), and ``distill`` (None:
            :func:`mmdonna.distill.default_distill`). Defaults to None.
        bn_calib_batches (int): Training batches that re-estimate the
            assembled model's BN statistics (0 to skip).
            Defaults to 16.
        meta (dict, optional): Extra facts stored in the config
            (``donna_meta``). Defaults to None.
        subdir (str): Folder in ``work_dir`` for the files.
            Defaults to 'subnets'.
        calib_loader (Iterable, optional): Training batches for the BN
            re-estimation; built from the teacher config's
            ``train_dataloader`` when not given. Defaults to None.
    """
    space = supernet.space
    out_dir = osp.join(work_dir, subdir)
    os.makedirs(out_dir, exist_ok=True)
    scope = teacher_cfg.get('default_scope')
    library = osp.abspath(osp.join(work_dir, 'block_library.json'))
    student = student_config(teacher_cfg.model.to_dict(), space, code, library,
                             scope)
    # a ConfigDict as a Runner would pass: mmdet's two-stage detectors read
    # their train_cfg/test_cfg by attribute (``train_cfg.rpn``)
    model_cfg = ConfigDict(copy.deepcopy(student))
    if teacher_cfg.get('data_preprocessor') is not None:
        # what the Runner merges in: BN recalibration sees normalised inputs
        model_cfg.setdefault('data_preprocessor',
                             copy.deepcopy(teacher_cfg.data_preprocessor))
    model = MODELS.build(model_cfg)
    state = assemble_weights(model, supernet.teacher, space, code,
                             supernet.export_option)
    if bn_calib_batches:
        if calib_loader is None:
            calib_loader = calibration_loader(teacher_cfg)
        # BKD left each option's BN statistics where its sampled steps took
        # them; the assembled network starts from its own
        recalibrate_model_bn(model, calib_loader, bn_calib_batches)
        state = {k: v.clone() for k, v in model.state_dict().items()}
    pth = osp.abspath(osp.join(out_dir, name + '.pth'))
    _atomic_save(dict(state_dict=state, meta=dict(donna_code=list(code))), pth)

    finetune = copy.deepcopy(dict(finetune or {}))
    sub = copy.deepcopy(teacher_cfg._cfg_dict.to_dict())
    sub.pop('model', None)
    sub.pop('donna', None)
    distill = finetune.pop('distill', None) or default_distill(model)
    unknown = sorted(set(finetune) - set(FINETUNE_KEYS))
    if unknown:
        raise KeyError(f'finetune has unknown keys {unknown}; allowed: '
                       f'{FINETUNE_KEYS + ("distill", )}')
    for key, value in finetune.items():
        if value is not None:
            sub[key] = value
    teacher_model = teacher_cfg.model.to_dict()

    def here(path: str) -> str:  # a moved work dir uses its own files
        return config_relative(path, out_dir, work_dir)

    student = student_config(teacher_model, space, code, here(library), scope)
    sub['student'] = student
    sub['model'] = dict(
        type='mmdonna.DonnaKDModel',
        student=student,
        teacher=teacher_model,
        teacher_checkpoint=here(teacher_checkpoint),
        student_checkpoint=here(pth),
        distill=distill)
    sub['load_from'] = None
    sub['resume'] = False
    # the folder next to ``subdir``: <work_dir>/finetune/<name>
    sub['work_dir'] = here(
        osp.join(osp.dirname(osp.abspath(out_dir)), 'finetune', name))
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
            seeded_loader(teacher_cfg.train_dataloader.to_dict(),
                          teacher_cfg.get('randomness')))


def export_front(teacher_cfg: Config,
                 teacher_checkpoint: str,
                 work_dir: str,
                 supernet,
                 front: Sequence[dict],
                 finetune: Optional[dict] = None,
                 bn_calib_batches: int = DEFAULT_CALIB_BATCHES,
                 weights: Optional[str] = None) -> List[str]:
    """Export every front entry (``dict(code=[...], name=optional)``), see
    :func:`export_subnet`, into ``<work_dir>/subnets``.

    A subnet is kept (the stage resumes) when ``subnets/manifest.json``
    records it with the same code and export settings (``weights``
    included: what identifies the supernet's weights, e.g. the BKD run's
    hash; defaults to None) and its ``.pth`` still has the recorded digest;
    any other one is exported again.
    """
    teacher_checkpoint = resolve_checkpoint(teacher_checkpoint,
                                            'donna.teacher_checkpoint')
    folder = osp.join(work_dir, 'subnets')
    manifest = read_manifest(folder)
    settings = export_settings(finetune, bn_calib_batches, weights)
    paths = []
    loader = None
    for i, entry in enumerate(front):
        name = entry.get('name') or f'pareto_{i:02d}'
        if subnet_is_current(folder, name, entry['code'], settings, manifest):
            paths.append(osp.join(folder, name + '.py'))
            continue
        meta = {
            k: entry[k]
            for k in ('latency_ms', 'lut_ms', 'surrogate', 'target')
            if k in entry
        }
        if loader is None and bn_calib_batches:
            loader = calibration_loader(teacher_cfg)
        py, pth = export_subnet(
            teacher_cfg,
            teacher_checkpoint,
            work_dir,
            supernet,
            entry['code'],
            name,
            finetune,
            bn_calib_batches,
            meta,
            calib_loader=loader)
        manifest[name] = manifest_entry(pth, entry['code'], settings)
        write_manifest(folder, manifest)
        paths.append(py)
    return paths
