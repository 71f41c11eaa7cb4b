"""SearchSpace: encode / decode / sample / enumerate architectures."""
import itertools
from typing import Dict, Iterator, List, Sequence, Tuple, Union

import numpy as np

from mmdonna.utils import config_hash
from .block_spec import BlockSpec
from .builder import SearchSpaceError, expand_options


class SearchSpace:
    """An architecture is one option index per block.

    Encoding is a tuple of ints (one per block, in block order); decoding is
    exact and both round-trip through JSON/YAML.

    Args:
        blocks (list[BlockSpec]): Blocks in network order.
    """

    def __init__(self, blocks: Sequence[BlockSpec]):
        if not blocks:
            raise SearchSpaceError(
                'the search space has no blocks; list at least one cut point '
                'in model.blocks')
        paths = [b.path for b in blocks]
        dup = {p for p in paths if paths.count(p) > 1}
        if dup:
            raise SearchSpaceError(f'blocks list these paths twice: '
                                   f'{sorted(dup)}; each cut point once')
        for b in blocks:
            if not b.options:
                raise SearchSpaceError(
                    f'block {b.path!r} has an empty option set; give it at '
                    f'least one option in model.blocks')
        self.blocks = list(blocks)

    @classmethod
    def from_config(cls, blocks: Sequence[dict]) -> 'SearchSpace':
        """From ``[dict(path=..., options=[...], weight_sharing=False)]``;
        list-valued option fields are grids (see :func:`expand_options`)."""
        specs = []
        for i, b in enumerate(blocks):
            unknown = set(b) - {'path', 'options', 'weight_sharing'}
            if unknown or 'path' not in b:
                raise SearchSpaceError(
                    f'model.blocks[{i}] needs keys path, options '
                    f'(optional weight_sharing); got unknown '
                    f'{sorted(unknown)}'
                    if unknown else f'model.blocks[{i}] has no "path"')
            specs.append(
                BlockSpec(
                    path=b['path'],
                    options=expand_options(b.get('options') or []),
                    weight_sharing=b.get('weight_sharing', False)))
        return cls(specs)

    # ---- sizes -----------------------------------------------------------
    @property
    def paths(self) -> List[str]:
        return [b.path for b in self.blocks]

    @property
    def num_blocks(self) -> int:
        return len(self.blocks)

    @property
    def num_options(self) -> List[int]:
        return [len(b.options) for b in self.blocks]

    @property
    def size(self) -> int:
        return int(
            np.prod([len(b.options) for b in self.blocks], dtype=object))

    # ---- encoding --------------------------------------------------------
    def decode(self, code: Sequence[int]) -> Dict[str, dict]:
        """Indices -> ``{path: option}`` (block order)."""
        code = self.check_code(code)
        return {b.path: dict(b.options[i]) for b, i in zip(self.blocks, code)}

    def encode(
            self, arch: Union[Dict[str, dict],
                              Sequence[dict]]) -> Tuple[int, ...]:
        """``{path: option}`` (or a list of options) -> indices."""
        if isinstance(arch, dict):
            missing = [p for p in self.paths if p not in arch]
            extra = [p for p in arch if p not in self.paths]
            if missing or extra:
                raise SearchSpaceError(
                    f'architecture does not match the search space: missing '
                    f'blocks {missing}, unknown blocks {extra}')
            opts = [arch[p] for p in self.paths]
        else:
            opts = list(arch)
            if len(opts) != self.num_blocks:
                raise SearchSpaceError(
                    f'architecture has {len(opts)} blocks, the search space '
                    f'{self.num_blocks}')
        code = []
        for b, o in zip(self.blocks, opts):
            try:
                code.append(b.options.index(dict(o)))
            except ValueError:
                raise SearchSpaceError(
                    f'option {o} is not in block {b.path!r}') from None
        return tuple(code)

    def check_code(self, code: Sequence[int]) -> Tuple[int, ...]:
        code = tuple(int(c) for c in code)
        if len(code) != self.num_blocks or any(
                not 0 <= c < n for c, n in zip(code, self.num_options)):
            raise SearchSpaceError(
                f'architecture code {list(code)} does not fit the search '
                f'space (options per block {self.num_options})')
        return code

    def sample(self, rng: np.random.Generator) -> Tuple[int, ...]:
        """One architecture uniformly at random."""
        return tuple(int(rng.integers(n)) for n in self.num_options)

    def enumerate(self) -> Iterator[Tuple[int, ...]]:
        """Every architecture (use only on small spaces)."""
        return itertools.product(*(range(n) for n in self.num_options))

    # ---- serialisation ---------------------------------------------------
    def to_dict(self) -> dict:
        return dict(blocks=[b.to_dict() for b in self.blocks])

    @classmethod
    def from_dict(cls, d: dict) -> 'SearchSpace':
        return cls([BlockSpec.from_dict(b) for b in d['blocks']])

    def fingerprint(self) -> str:
        """Hash of paths, options and shapes: keys library/LUT/search."""
        return config_hash(self.to_dict())

    def __repr__(self) -> str:
        return (f'SearchSpace({self.num_blocks} blocks, options '
                f'{self.num_options}, {self.size} architectures)')
