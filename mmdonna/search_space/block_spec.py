"""BlockSpec: one cut point of the teacher and its student options."""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple


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
    """
    path: str
    options: List[dict]
    in_shape: Optional[Tuple[int, ...]] = None
    out_shape: Optional[Tuple[int, ...]] = None
    weight_sharing: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def layout(self) -> str:
        """'nchw' ((C, H, W) shapes) or 'tokens' ((L, C) shapes)."""
        from .builder import layout_of
        return layout_of(self.in_shape)

    def to_dict(self) -> dict:
        return dict(
            path=self.path,
            options=[dict(o) for o in self.options],
            in_shape=list(self.in_shape) if self.in_shape else None,
            out_shape=list(self.out_shape) if self.out_shape else None,
            weight_sharing=self.weight_sharing)

    @classmethod
    def from_dict(cls, d: dict) -> 'BlockSpec':
        return cls(
            path=d['path'],
            options=[dict(o) for o in d['options']],
            in_shape=tuple(d['in_shape']) if d.get('in_shape') else None,
            out_shape=tuple(d['out_shape']) if d.get('out_shape') else None,
            weight_sharing=bool(d.get('weight_sharing', False)))
