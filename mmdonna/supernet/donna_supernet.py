"""DonnaSupernet: blockwise knowledge distillation of every block at once."""
import copy
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.runner.checkpoint import load_checkpoint
from torch import nn

from mmdonna.distill import nsr
from mmdonna.distill.nsr_loss import check_form
from mmdonna.registry import MODELS
from mmdonna.search_space import (BlockSpec, SearchSpace, get_submodule,
                                  is_teacher_option, shape_of,
                                  with_teacher_option)
from mmdonna.search_space.builder import (SearchSpaceError, channel_dim,
                                          infer_stride)
from mmdonna.search_space.extra_inputs import (extra_outputs_of,
                                               keep_teacher_children)
from mmdonna.utils import latest_checkpoint
from mmdonna.utils.block_capture import BlockCapture
from mmdonna.utils.model_call import tensor_call
from .arch_model import build_arch_model
from .block_options import BlockOptions


def _key(path: str) -> str:
    return path.replace('.', '__')


def check_component(teacher: nn.Module, paths: Sequence[str],
                    component: Union[str, Sequence[str]]) -> None:
    """Refuse cut points outside ``teacher.<component>`` (or outside every
    component of a list) in one line naming the valid choices."""
    names = [component] if isinstance(component, str) else list(component)
    outside = [
        p for p in paths if not p.startswith(tuple(n + '.' for n in names))
    ]
    if outside:
        valid = []
        for name in names:
            owner = get_submodule(teacher, name, 'model.component')
            valid += [f'{name}.{n}' for n, _ in owner.named_children()]
        raise SearchSpaceError(
            f'model.blocks paths {outside} lie outside the searched '
            f'model.component={component!r}; cut inside it, e.g. {valid}'
            if isinstance(component, str) else
            f'model.blocks paths {outside} lie outside the searched '
            f'model.component={names!r}; cut inside one of them, e.g. '
            f'{valid}, or add their component to the list')


def _blocks_hint(module: nn.Module, path: str) -> str:
    """For a module holding a list of blocks (a stage whose output cannot
    be a cut point's): where to cut instead (``<path>.blocks.0``); else
    ''."""
    for name, child in module.named_children():
        if isinstance(child, (nn.ModuleList, nn.Sequential)) and len(child):
            target = f'{path}.{name}.0'
            return f'; it holds blocks: cut at one of them, e.g. {target!r}'
    return ''


def check_channels_first(module: nn.Module, x, where: str) -> None:
    """Refuse, in one line, a cut point fed a channels-last 4-D tensor
    (N, H, W, C): its first layer with weights works on the last axis (an
    ``nn.Linear`` or a LayerNorm over C = W, not over dim 1), as inside a
    ConvNeXt block after its permute. Options take NCHW feature maps."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or \
            x.shape[1] == x.shape[-1]:
        return
    first = next((m for m in module.modules()
                  if next(m.parameters(recurse=False), None) is not None),
                 None)
    last = None
    if isinstance(first, nn.Linear):
        last = first.in_features
    elif isinstance(first, nn.LayerNorm) and len(first.normalized_shape) == 1:
        last = first.normalized_shape[0]
    if last is not None and last == x.shape[-1]:
        raise SearchSpaceError(
            f'{where} receives a channels-last (N, H, W, C) tensor '
            f'{tuple(x.shape)} (its {type(first).__name__} works on the last '
            f'axis, C={last}): cut points take NCHW feature maps; cut at the '
            f'module around it that takes and returns NCHW (e.g. the whole '
            f'block)')


class _ChildrenRunOutside:
    """While active, record the children of each cut point that run outside
    its forward (``names[path]``): a Swin stage's ``downsample``, which
    ``SwinTransformer`` runs after the stage."""

    def __init__(self, modules: Dict[str, nn.Module]):
        self.modules = modules
        self.names: Dict[str, List[str]] = {p: [] for p in modules}
        self._inside = set()

    def __enter__(self) -> '_ChildrenRunOutside':
        self._handles = []
        for path, module in self.modules.items():
            self._handles += [
                module.register_forward_pre_hook(
                    lambda m, a, p=path: self._inside.add(p)),
                module.register_forward_hook(
                    lambda m, a, o, p=path: self._inside.discard(p))
            ]
            for name, child in module.named_children():
                self._handles.append(
                    child.register_forward_hook(
                        lambda m, a, o, p=path, n=name: self._ran(p, n)))
        return self

    def _ran(self, path: str, name: str) -> None:
        if path not in self._inside and name not in self.names[path]:
            self.names[path].append(name)

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()


@MODELS.register_module()
class DonnaSupernet(BaseModel):
    """A frozen teacher plus the student options of every block.

    In :meth:`loss` the teacher runs once (up to the last cut point) with
    forward hooks recording each block's input and output; every block's
    options then learn to map the teacher's block input to the teacher's block
    output with the NSR loss (DONNA's per-channel form by default), all
    blocks in the same step. With ``teacher_option`` every block also offers
    the teacher's own block (``dict(type='Teacher')``, last option, frozen):
    the search can keep a block as it is, and the front reaches the teacher.

    A cut point's first input is the block's input (its shape defines the
    block); its other inputs, positional or keyword (a Swin block is called
    ``block(x, hw_shape)``), are recorded with it (``BlockIO.extra``, and as
    the shape probe saw them in ``BlockSpec.extra_inputs``) and every option
    is called with them (see :mod:`mmdonna.search_space.extra_inputs`).
    A cut point may return a tuple ``(y, *items)`` whose items are extra
    inputs passed through (a Swin stage returns ``(x, hw_shape)``): BKD,
    the library and the LUT use ``y``; the items' inputs are kept in
    ``BlockSpec.extra_outputs`` and the options of an assembled or exported
    model return them too.

    Args:
        teacher (dict): Config of the teacher model (any mm model whose
            ``forward(inputs, data_samples, mode='tensor')`` runs the
            network; data samples a detector's head needs are built from
            the input shape, see :func:`mmdonna.utils.model_call.tensor_call`).
        blocks (list[dict]): ``dict(path=..., options=[...],
            weight_sharing=False)`` per cut point, in network order.
        input_shape (Sequence[int]): (C, H, W) of one network input; used to
            infer block shapes with a dummy forward. Defaults to (3, 224, 224).
        teacher_checkpoint (str, optional): Teacher weights. Defaults to None.
        train_options (str): 'sample' trains ``num_sampled`` random options
            per block per step; 'all' trains every option every step.
            Defaults to 'sample'.
        num_sampled (int): Options per block per step in 'sample' mode.
            Defaults to 1.
        seed (int): Seed of the option sampling (identical on every rank).
            Defaults to 0.
        loss_weight (float): Weight of each block's NSR loss.
            Defaults to 1.0.
        data_preprocessor (dict, optional): Merged into the teacher config
            when it has none; the supernet uses the teacher's preprocessor.
            Defaults to None.
        component (str | list[str], optional): Top-level module(s) every
            cut point must lie in (e.g. ``'backbone'`` for a detector whose
            backbone is searched, ``['backbone', 'neck']`` for both);
            checked when the supernet is built. Defaults to None (any
            module).
        nsr_form (str): BKD loss and library score: ``'channel'`` (DONNA's
            per-channel NSR) or ``'energy'`` (``||T - S||^2 / ||T||^2``).
            Defaults to 'channel'.
        teacher_option (bool): Add the teacher's block as the last option of
            every block. Defaults to True.
        init_cfg (dict, optional): Initialisation of the students.
            Defaults to None.
    """

    def __init__(self,
                 teacher: dict,
                 blocks: List[dict],
                 input_shape: Sequence[int] = (3, 224, 224),
                 teacher_checkpoint: Optional[str] = None,
                 train_options: str = 'sample',
                 num_sampled: int = 1,
                 seed: int = 0,
                 loss_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None,
                 component: Optional[Union[str, List[str]]] = None,
                 nsr_form: str = 'channel',
                 teacher_option: bool = True,
                 init_cfg: Optional[dict] = None):
        self.nsr_form = check_form(nsr_form, 'model.nsr_form')
        if train_options not in ('sample', 'all'):
            raise ValueError(f'model.train_options={train_options!r}; use '
                             f"'sample' or 'all'")
        # a ConfigDict as a Runner would pass: heads read their test_cfg by
        # attribute (mmdet's ``cfg.min_bbox_size``)
        teacher_cfg = ConfigDict(copy.deepcopy(teacher))
        if data_preprocessor is not None:
            teacher_cfg.setdefault('data_preprocessor',
                                   copy.deepcopy(data_preprocessor))
        teacher_model = MODELS.build(teacher_cfg)
        super().__init__(
            data_preprocessor=teacher_model.data_preprocessor,
            init_cfg=init_cfg)
        self.teacher = teacher_model
        self.teacher_checkpoint = teacher_checkpoint
        if teacher_checkpoint is not None:
            # a file, or a work dir (its latest checkpoint)
            found = latest_checkpoint(teacher_checkpoint)
            if not found:
                raise FileNotFoundError(
                    f'model.teacher_checkpoint={teacher_checkpoint!r} does '
                    f'not exist; train the teacher first (tools/train.py '
                    f'<teacher config>) or set it to None')
            load_checkpoint(
                self.teacher, found, map_location='cpu', logger='silent')
        self.teacher.requires_grad_(False)
        self.teacher.eval()

        space = SearchSpace.from_config(blocks)
        if teacher_option:
            for b in space.blocks:
                b.options = with_teacher_option(b.options)
        self.teacher_option = teacher_option
        if component is not None:
            check_component(self.teacher, space.paths, component)
        self.input_shape = tuple(input_shape)
        self._modules_at = {
            b.path: get_submodule(self.teacher, b.path, 'model.blocks.path')
            for b in space.blocks
        }
        # Shapes and execution order from one dummy forward, run to the
        # end so a cut point that runs again later is refused (training
        # stops after the last cut point)
        probe = BlockCapture(self.teacher, self._modules_at, split_tuples=True)
        with torch.no_grad(), _ChildrenRunOutside(self._modules_at) as out:
            feats = probe(torch.zeros(1, *self.input_shape), to_end=True)
        specs = []
        for i, b in enumerate(space.blocks):
            x, y = feats[b.path]
            where = f'model.blocks[{i}].path={b.path!r}'
            in_shape = shape_of(x, where, 'receives')
            check_channels_first(self._modules_at[b.path], x, where)
            try:
                out_shape = shape_of(y, where)
                extra_outputs = extra_outputs_of(feats[b.path].extra_outputs,
                                                 feats[b.path].extra, where)
            except SearchSpaceError as e:
                raise SearchSpaceError(
                    f'{e}{_blocks_hint(self._modules_at[b.path], b.path)}'
                ) from None
            try:
                infer_stride(in_shape, out_shape)
            except SearchSpaceError as e:
                raise SearchSpaceError(f'{where}: {e}') from None
            specs.append(
                BlockSpec(
                    b.path,
                    b.options,
                    in_shape=in_shape,
                    out_shape=out_shape,
                    weight_sharing=b.weight_sharing,
                    extra_inputs=feats[b.path].extra,
                    extra_outputs=extra_outputs,
                    # only at a tuple cut point (a Swin stage), whose
                    # parent may run its children (its downsample)
                    teacher_children=out.names[b.path]
                    if extra_outputs else []))
        order = probe.order
        if order != space.paths:
            raise SearchSpaceError(
                f'model.blocks must be listed in network order {order}, got '
                f'{space.paths}')
        self.space = SearchSpace(specs)
        self.capture = probe
        self.students = nn.ModuleDict({
            _key(b.path):
            BlockOptions(b.path, b.options, b.in_shape, b.out_shape,
                         b.weight_sharing, self._modules_at[b.path],
                         b.extra_inputs)
            for b in self.space.blocks
        })
        self.train_options = train_options
        self.num_sampled = num_sampled
        self.seed = seed
        self.loss_weight = loss_weight
        self._step = 0

    # ---- mmengine plumbing -----------------------------------------------
    def train(self, mode: bool = True) -> 'DonnaSupernet':
        super().train(mode)
        self.teacher.eval()  # the teacher is frozen, BN stats included
        return self

    def init_weights(self) -> None:
        """Initialise the students only; the teacher keeps its weights."""
        for block in self.students.values():
            for m in block.choices:
                if hasattr(m, 'init_weights'):
                    m.init_weights()

    def block_options(self, path: str) -> BlockOptions:
        return self.students[_key(path)]

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return tensor_call(self.teacher, inputs, data_samples)
        raise RuntimeError(
            f'DonnaSupernet has no {mode!r} mode: set val_cfg/test_cfg to '
            f'None for BKD and evaluate exported subnets instead')

    # ---- BKD -------------------------------------------------------------
    @torch.no_grad()
    def teacher_features(
            self,
            inputs: torch.Tensor,
            data_samples: Optional[list] = None) -> Dict[str, tuple]:
        """{path: BlockIO(block input, block output)} from one teacher pass
        that stops after the last cut point; ``BlockIO.extra`` holds the
        block's other inputs, which its options get too; the output of a
        block returning ``(y, *passed-through inputs)`` is ``y``."""
        return self.capture(inputs, data_samples)

    def _train_indices(self, trainable: List[int],
                       rng: np.random.Generator) -> List[int]:
        n = len(trainable)
        if self.train_options == 'all' or self.num_sampled >= n:
            return list(trainable)
        picked = rng.choice(n, size=self.num_sampled, replace=False)
        return [trainable[i] for i in sorted(picked.tolist())]

    def loss(self,
             inputs: torch.Tensor,
             data_samples: Optional[list] = None) -> Dict[str, torch.Tensor]:
        feats = self.teacher_features(inputs, data_samples)
        # The runner's iteration keys the sampling: identical on every rank
        # and continued on resume.
        step = MessageHub.get_current_instance().get_info('iter', self._step)
        rng = np.random.default_rng([self.seed, int(step)])
        self._step += 1
        losses = {}
        for i, block in enumerate(self.space.blocks):
            io = feats[block.path]
            x, y = io
            options = self.block_options(block.path)
            trainable = options.trainable
            if not trainable:  # only the teacher option: nothing to learn
                continue
            idxs = self._train_indices(trainable, rng)
            dim = channel_dim(block.in_shape)
            loss = sum(
                nsr(options(x, j, io.extra), y, self.nsr_form, dim)
                for j in idxs)
            losses[f'loss_block{i}'] = self.loss_weight * loss / len(idxs)
        return losses

    def export_option(self, path: str, index: int) -> nn.Module:
        """Standalone module of one option with its BKD weights (and the
        teacher block's children its parent runs, see
        ``BlockSpec.teacher_children``)."""
        module = self.block_options(path).export(index)
        spec = self.space.blocks[self.space.paths.index(path)]
        if is_teacher_option(spec.options[index]):
            return module
        return keep_teacher_children(module, self._modules_at[path],
                                     spec.teacher_children)

    def assemble(self, code: Sequence[int]) -> nn.Module:
        """The whole network of one architecture: a copy of the teacher
        with every cut block replaced by the chosen option's BKD weights."""
        return build_arch_model(self.teacher, self.space, code,
                                self.export_option)

    def teacher_block(self, path: str) -> nn.Module:
        return self._modules_at[path]

    @property
    def block_paths(self) -> List[str]:
        return self.space.paths
