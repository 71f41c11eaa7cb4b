"""BlockSpec: one cut point of the teacher and its student options."""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from mmdonna.utils.block_capture import ExtraInputs


@dataclass
class BlockSpec:
    """A teacher block and its options.

    Args:
        path (str): Module path in the teacher (``named_modules`` key).
        options (list[dict]): Student options (expanded, no grids).
        in_shape (tuple, optional): (C, H, W) the teacher block receives, or
            (L, C) for a token block (one (N, L, C) tensor, see
            :attr:`layout`).
        out_shape (tuple, optional): (C, H, W) or (L, C) the teacher block
            produces.
        weight_sharing (bool): Train elastic options of this block with shared
            weights. Defaults to False.
        extra_inputs (ExtraInputs): What the teacher block is called with
            besides its main input, as the shape probe (batch 1) saw it
            (a Swin block's ``hw_shape``); every option gets it. Serialised
            by :meth:`ExtraInputs.describe` (a space read back from JSON
            keeps non-tensor values only). Defaults to none.
        extra_outputs (list): For a block returning a tuple
            ``(y, *items)`` whose items are extra inputs passed through (a
            Swin stage's ``(x, hw_shape)``): per item, the input it is,
            ``['args', i]`` or ``['kwargs', name]``. Defaults to [] (one
            output).
        teacher_children (list[str]): Children of the teacher block that
            its parent runs outside the block's forward (a Swin stage's
            ``downsample``): an option keeps them in an assembled or
            exported model. Defaults to [].
    """
    path: str
    options: List[dict]
    in_shape: Optional[Tuple[int, ...]] = None
    out_shape: Optional[Tuple[int, ...]] = None
    weight_sharing: bool = False
    extra: dict = field(default_factory=dict)
    extra_inputs: ExtraInputs = field(default_factory=ExtraInputs.none)
    extra_outputs: List[list] = field(default_factory=list)
    teacher_children: List[str] = field(default_factory=list)

    @property
    def layout(self) -> str:
        """'nchw' ((C, H, W) shapes) or 'tokens' ((L, C) shapes)."""
        from .builder import layout_of
        return layout_of(self.in_shape)

    def to_dict(self) -> dict:
        d = dict(
            path=self.path,
            options=[dict(o) for o in self.options],
            in_shape=list(self.in_shape) if self.in_shape else None,
            out_shape=list(self.out_shape) if self.out_shape else None,
            weight_sharing=self.weight_sharing)
        if not self.extra_inputs.empty:  # one-input blocks: as before
            d['extra_inputs'] = self.extra_inputs.describe()
        if self.extra_outputs:  # one-output blocks: as before
            d['extra_outputs'] = [list(m) for m in self.extra_outputs]
        if self.teacher_children:
            d['teacher_children'] = list(self.teacher_children)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> 'BlockSpec':
        return cls(
            path=d['path'],
            options=[dict(o) for o in d['options']],
            in_shape=tuple(d['in_shape']) if d.get('in_shape') else None,
            out_shape=tuple(d['out_shape']) if d.get('out_shape') else None,
            weight_sharing=bool(d.get('weight_sharing', False)),
            extra_inputs=ExtraInputs.from_description(d.get('extra_inputs')),
            extra_outputs=[list(m) for m in d.get('extra_outputs', [])],
            teacher_children=list(d.get('teacher_children', [])))
