"""All student options of one block, independent or weight-shared."""
import copy
from typing import List, Optional, Sequence, Tuple

import torch
from torch import nn

from mmdonna.search_space import ElasticMBConv, build_option, is_teacher_option
from mmdonna.search_space.builder import SearchSpaceError, infer_scale
from mmdonna.search_space.extra_inputs import ignore_extra_inputs
from mmdonna.utils.block_capture import ExtraInputs
from .frozen_block import FrozenBlock


class BlockOptions(nn.Module):
    """The option modules of one block.

    With ``weight_sharing`` the block's ``MBConv`` options with the same
    (se, act, width) and expand > 1 share one :class:`ElasticMBConv`; every
    other option is an independent module.

    Args:
        path (str): Block path (for messages).
        options (list[dict]): The block's options.
        in_shape (tuple): (C, H, W) the block receives.
        out_shape (tuple): (C, H, W) the block produces.
        weight_sharing (bool): Share MBConv weights. Defaults to False.
        teacher_block (nn.Module, optional): The teacher's block: the
            teacher option (``dict(type='Teacher')``) is a frozen copy of
            it. Defaults to None.
        extra (ExtraInputs, optional): The block's other inputs (batch 1)
            for the build-time shape check; the options are called with the
            batch's own in :meth:`forward`. Defaults to None (none).
    """

    def __init__(self,
                 path: str,
                 options: Sequence[dict],
                 in_shape: Tuple[int, ...],
                 out_shape: Tuple[int, ...],
                 weight_sharing: bool = False,
                 teacher_block: Optional[nn.Module] = None,
                 extra: Optional[ExtraInputs] = None):
        super().__init__()
        self.path = path
        self.options = [dict(o) for o in options]
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        self.choices = nn.ModuleList()
        # option index -> (module index, elastic sub-block or None)
        self.route: List[Tuple[int, Optional[dict]]] = []
        groups = {}
        upsample = infer_scale(in_shape, out_shape)[1]
        if weight_sharing and upsample > 1:
            raise SearchSpaceError(
                f'block {path!r} upsamples x{upsample}: weight_sharing is '
                f'for blocks that keep or reduce the resolution; set '
                f'weight_sharing=False for it')
        if weight_sharing:
            for i, o in enumerate(self.options):
                if o['type'] == 'MBConv' and o.get('expand', 6) > 1:
                    key = (o.get('se',
                                 False), o.get('act',
                                               'ReLU'), o.get('width', 1.0))
                    groups.setdefault(key, []).append(i)
        elastic_of = {}
        for (se, act, width), idxs in groups.items():
            opts = [self.options[i] for i in idxs]
            unknown = {
                k
                for o in opts
                for k in o
            } - {'type', 'kernel', 'expand', 'depth', 'se', 'act', 'width'}
            if unknown:
                raise SearchSpaceError(
                    f'block {path!r}: MBConv options have unknown keys '
                    f'{sorted(unknown)}')
            elastic = dict(
                type='ElasticMBConv',
                kernels=sorted({o.get('kernel', 3)
                                for o in opts}),
                expands=sorted({o.get('expand', 6)
                                for o in opts}),
                depths=sorted({o.get('depth', 1)
                               for o in opts}),
                se=se,
                act=act,
                width=width)
            module = build_option(elastic, in_shape, out_shape, path, idxs[0])
            assert isinstance(module, ElasticMBConv)
            self.choices.append(module)
            for i in idxs:
                elastic_of[i] = len(self.choices) - 1
        for i, o in enumerate(self.options):
            if i in elastic_of:
                self.route.append((elastic_of[i],
                                   dict(
                                       kernel=o.get('kernel', 3),
                                       expand=o.get('expand', 6),
                                       depth=o.get('depth', 1))))
            elif is_teacher_option(o):
                if teacher_block is None:
                    raise SearchSpaceError(
                        f'block {path!r} option {i} is the teacher option '
                        f'but the teacher block was not given')
                self.choices.append(FrozenBlock(teacher_block))
                self.route.append((len(self.choices) - 1, None))
            else:
                self.choices.append(
                    build_option(o, in_shape, out_shape, path, i, extra=extra))
                self.route.append((len(self.choices) - 1, None))
        if weight_sharing:  # check every elastic sub-block's shape once
            for i in elastic_of:
                with torch.no_grad():
                    self.eval()
                    out = self(torch.zeros(1, *in_shape), i)
                    self.train()
                if tuple(out.shape[1:]) != self.out_shape:
                    raise SearchSpaceError(
                        f'block {path!r} option {i} {self.options[i]} '
                        f'produces {tuple(out.shape[1:])}, teacher '
                        f'{self.out_shape}')

    def __len__(self) -> int:
        return len(self.options)

    @property
    def trainable(self) -> List[int]:
        """Indices of the options BKD trains (all but the teacher's)."""
        return [
            i for i, o in enumerate(self.options) if not is_teacher_option(o)
        ]

    def forward(self,
                x: torch.Tensor,
                index: int,
                extra: Optional[ExtraInputs] = None) -> torch.Tensor:
        """Option ``index`` on ``x`` and the block's other inputs
        ``extra`` (as the teacher block got them)."""
        mod_idx, active = self.route[index]
        module = self.choices[mod_idx]
        if active is not None:
            module.set_active(**active)
        return (extra or ExtraInputs.none()).call(module, x)

    def option_modules(self, index: int) -> List[nn.Module]:
        """Modules whose parameters option ``index`` uses."""
        return [self.choices[self.route[index][0]]]

    def export(self, index: int) -> nn.Module:
        """A standalone copy of option ``index`` with its trained weights."""
        mod_idx, active = self.route[index]
        module = self.choices[mod_idx]
        if active is not None:
            return ignore_extra_inputs(module.export(**active))
        if isinstance(module, FrozenBlock):
            return module.export()
        return copy.deepcopy(module)
