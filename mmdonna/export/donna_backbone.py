"""DonnaBackbone: a searched architecture as an ordinary mm backbone."""
import copy
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.config import ConfigDict
from mmengine.model import BaseModule
from torch import nn

from mmdonna.registry import MODELS
from mmdonna.search_space import (build_block, get_submodule,
                                  is_teacher_option, set_submodule)
from mmdonna.search_space.builder import LAYOUTS, SearchSpaceError
from mmdonna.search_space.extra_inputs import (check_extra_outputs,
                                               keep_teacher_children,
                                               named_inputs_only,
                                               pass_through_outputs)


@MODELS.register_module()
class DonnaBackbone(BaseModule):
    """The base network (a top-level component of the teacher holding cut
    points: its backbone, its neck, an mmagic generator) with its cut blocks
    replaced by the chosen options; a search in several components exports
    one per component.

    ``forward`` is the base network's own forward, so ``out_indices``,
    ``frozen_stages``, ``norm_eval`` ... of the base keep working and the
    module plugs into mmpretrain classifiers, mmdet detectors and mmagic
    editors unchanged.

    Args:
        base (dict): Config of the base network (e.g. the teacher's
            ``model.backbone``). Use a scoped type (``'mmpretrain.ResNet'``)
            when the config's default scope is another library's.
        arch (dict): ``{path in base: dict(option=dict(type=..., ...),
            in_channels=..., out_channels=..., stride=...)}`` (a token
            block, one (N, L, C) tensor in and out, adds
            ``layout='tokens'``: its channels are C, its stride 1; a block
            whose output is s times its input in H and W adds
            ``upsample=s``, stride 1, and its option is followed by the
            upsampler its ``upsample`` key names, see
            :func:`mmdonna.search_space.build_block`; a block that returns
            ``(y, *inputs passed through)``, a Swin stage, adds
            ``extra_outputs``, which inputs, and its option returns them
            too; ``teacher_children`` names children of the base's block
            its parent runs, a Swin stage's ``downsample``, which the option
            keeps); the option
            ``dict(type='Teacher')`` keeps the base's own block.
        library (str, optional): ``block_library.json`` the arch was searched
            in; when given and present, every block and option must be in it.
            Defaults to None.
        library_prefix (str): Prefix of the library's block paths relative to
            ``base`` (e.g. ``'backbone.'``). Defaults to ''.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 base: dict,
                 arch: Dict[str, dict],
                 library: Optional[str] = None,
                 library_prefix: str = '',
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if library is not None and osp.exists(library):
            check_arch_in_library(arch, library, library_prefix)
        self.base = MODELS.build(copy.deepcopy(base))
        self.arch = copy.deepcopy(arch)
        apply_arch(self.base, self.arch, 'DonnaBackbone.arch')

    def forward(self, *args, **kwargs):
        return self.base(*args, **kwargs)

    def train(self, mode: bool = True) -> 'DonnaBackbone':
        super().train(mode)
        self.base.train(mode)  # keeps the base's frozen stages / norm_eval
        return self

    def init_weights(self) -> None:
        if hasattr(self.base, 'init_weights'):
            self.base.init_weights()
        for path in self.arch:
            block = self.base.get_submodule(path)
            if hasattr(block, 'init_weights'):
                block.init_weights()

    @torch.no_grad()
    def dummy_output_shapes(self, input_shape) -> list:
        """Shapes of the base's outputs for one input (for checks)."""
        was = self.training
        self.eval()
        try:
            out = self(torch.zeros(1, *input_shape))
        finally:
            self.train(was)
        outs = out if isinstance(out, (tuple, list)) else [out]
        return [tuple(o.shape) for o in outs]


def apply_arch(base: nn.Module,
               arch: Dict[str, dict],
               key: str = 'arch') -> None:
    """Put every option of ``arch`` (``{path in base: spec}``, see
    :class:`DonnaBackbone`) into ``base``, in place; the teacher option keeps
    the base's block. Errors name ``key[path]``."""
    for path, spec in arch.items():
        own = get_submodule(base, path, key)
        unknown = set(spec) - {
            'option', 'in_channels', 'out_channels', 'stride', 'layout',
            'upsample', 'extra_outputs', 'teacher_children'
        }
        if unknown or 'option' not in spec:
            raise SearchSpaceError(
                f'{key}[{path!r}] needs keys option, '
                f'in_channels, out_channels, stride (and optionally '
                f'layout, upsample, extra_outputs, teacher_children); got '
                f'{sorted(spec)}')
        upsample = spec.get('upsample', 1)
        if not (isinstance(upsample, int) and upsample >= 1 and
                (upsample == 1 or spec.get('stride') == 1)):
            raise SearchSpaceError(
                f'{key}[{path!r}].upsample={upsample!r}: '
                f'use an integer factor >= 2 with stride=1 (or leave '
                f'it out for a block that does not upsample)')
        if spec.get('layout', 'nchw') not in LAYOUTS:
            raise SearchSpaceError(f'{key}[{path!r}].layout='
                                   f'{spec["layout"]!r}; use one of {LAYOUTS}')
        extra_outputs = check_extra_outputs(
            spec.get('extra_outputs', []), f'{key}[{path!r}].extra_outputs')
        if is_teacher_option(spec['option']):
            continue  # the base's own block, kept as it is
        module = build_block(
            spec['option'],
            spec['in_channels'],
            spec['out_channels'],
            spec['stride'],
            path,
            upsample=upsample)
        children = spec.get('teacher_children', [])
        if not (isinstance(children, list) and all(
                isinstance(n, str) and n in own._modules for n in children)):
            raise SearchSpaceError(
                f'{key}[{path!r}].teacher_children={children!r}: name '
                f'children of the base block {type(own).__name__} '
                f'({list(own._modules)}); export the subnet again')
        # a family taking extra inputs ignores those it does not name (a
        # Swin stage's do_downsample)
        module = keep_teacher_children(
            named_inputs_only(module), own, children)
        set_submodule(base, path, pass_through_outputs(module, extra_outputs))


@MODELS.register_module()
def DonnaModel(base: dict,
               arch: Dict[str, dict],
               library: Optional[str] = None,
               data_preprocessor: Optional[dict] = None) -> nn.Module:
    """The whole model ``base`` (e.g. the teacher's detector) with its cut
    blocks replaced by the chosen options: the model itself (its own class,
    state dict keys and forward), not a wrapper.

    An exported subnet uses it when a searched component is built by its
    parent from a type-less dict (a DETR's ``encoder`` / ``decoder``), so
    no :class:`DonnaBackbone` can take its place in the config.

    Args:
        base (dict): The model config (a scoped ``type``).
        arch (dict): ``{module path in the model: spec}`` as
            :class:`DonnaBackbone`'s ``arch``.
        library (str, optional): ``block_library.json`` the arch was
            searched in (checked when present). Defaults to None.
        data_preprocessor (dict, optional): Merged into ``base`` when it has
            none (what a Runner or ``DonnaKDModel`` passes).
            Defaults to None.
    """
    cfg = ConfigDict(copy.deepcopy(base))
    if data_preprocessor is not None:
        cfg.setdefault('data_preprocessor', copy.deepcopy(data_preprocessor))
    if library is not None and osp.exists(library):
        check_arch_in_library(arch, library, '')
    model = MODELS.build(cfg)
    apply_arch(model, copy.deepcopy(arch), 'DonnaModel.arch')
    return model


def check_arch_in_library(arch: Dict[str, dict], library: str,
                          prefix: str) -> None:
    """Refuse an arch whose blocks/options are not in ``library``."""
    from mmdonna.library import BlockLibrary
    lib = BlockLibrary.load(library)
    for path, spec in arch.items():
        key = prefix + path
        if key not in lib.blocks:
            raise SearchSpaceError(
                f'subnet block {key!r} is not in the block library {library} '
                f'(blocks {list(lib.blocks)}); export the subnet again from '
                f'this library')
        options = [e['option'] for e in lib.blocks[key]['options']]
        if spec['option'] not in options:
            raise SearchSpaceError(
                f'subnet block {key!r} option {spec["option"]} is not in the '
                f'block library {library}; export the subnet again from this '
                f'library')
