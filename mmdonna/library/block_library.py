"""BlockLibrary: NSR (mean, std), params and FLOPs of every block option."""
import math
from typing import Dict, List, Optional

import numpy as np

from mmdonna import formats
from mmdonna.search_space import SearchSpace
from mmdonna.utils import atomic_write_json, load_json_artifact
from mmdonna.utils.io import ArtifactError

FORMAT = formats.BLOCK_LIBRARY


class BlockLibrary:
    """The scored block library (``block_library.json``), keyed by cut path.

    Args:
        space (SearchSpace): The search space it scores (with shapes).
        blocks (dict): ``{path: dict(teacher=dict(params, flops),
            options=[dict(option, nsr_mean, nsr_std, params, flops)])}``.
        num_samples (int): Held-out samples the NSRs were measured on.
        nsr_form (str): The NSR of the scores (``'channel'``: DONNA's
            per-channel ratio; ``'energy'``). Defaults to 'channel'.
        bn_recalibrated (bool): Whether every option's BN statistics were
            re-estimated before scoring. Defaults to True.
    """

    def __init__(self,
                 space: SearchSpace,
                 blocks: Dict[str, dict],
                 num_samples: int,
                 nsr_form: str = 'channel',
                 bn_recalibrated: bool = True):
        self.space = space
        self.blocks = blocks
        self.num_samples = num_samples
        self.nsr_form = nsr_form
        self.bn_recalibrated = bn_recalibrated

    # ---- access ----------------------------------------------------------
    def nsr(self, path: str) -> np.ndarray:
        """NSR mean of every option of a block."""
        return np.array([o['nsr_mean'] for o in self.blocks[path]['options']])

    def nsr_table(self) -> List[np.ndarray]:
        """NSR mean per option, one array per block (block order)."""
        return [self.nsr(p) for p in self.space.paths]

    def field_table(self, key: str) -> List[np.ndarray]:
        """Any per-option number (``params``, ``flops``, ``nsr_std``)."""
        return [
            np.array([o[key] for o in self.blocks[p]['options']], dtype=float)
            for p in self.space.paths
        ]

    def teacher_field(self, key: str) -> np.ndarray:
        """A teacher-block number (``params``, ``flops``) per block."""
        return np.array(
            [self.blocks[p]['teacher'][key] for p in self.space.paths],
            dtype=float)

    # ---- io --------------------------------------------------------------
    def to_dict(self) -> dict:
        return dict(
            format=FORMAT,
            config_hash=self.space.fingerprint(),
            num_samples=self.num_samples,
            nsr_form=self.nsr_form,
            bn_recalibrated=self.bn_recalibrated,
            space=self.space.to_dict(),
            blocks=self.blocks)

    def save(self, path: str) -> None:
        atomic_write_json(path, self.to_dict())

    @classmethod
    def load(cls,
             path: str,
             space: Optional[SearchSpace] = None) -> 'BlockLibrary':
        """Load and validate; with ``space``, refuse a library built for
        another search space or missing any option."""
        data = load_json_artifact(
            path,
            FORMAT,
            space.fingerprint() if space is not None else None,
            what='block library')
        try:
            lib_space = SearchSpace.from_dict(data['space'])
            blocks = data['blocks']
            meta = (int(data['num_samples']), data['nsr_form'],
                    bool(data['bn_recalibrated']))
            for b in lib_space.blocks:
                entries = blocks[b.path]['options']
                if len(entries) != len(b.options):
                    raise ArtifactError(
                        f'block library {path} has {len(entries)} scored '
                        f'options for block {b.path!r}, the space has '
                        f'{len(b.options)}; delete it to rescore')
                for i, (e, o) in enumerate(zip(entries, b.options)):
                    if e['option'] != o:
                        raise ArtifactError(
                            f'block library {path}: block {b.path!r} option '
                            f'{i} is {e["option"]}, expected {o}; delete it '
                            f'to rescore')
                    for k in ('nsr_mean', 'nsr_std', 'params', 'flops'):
                        if not math.isfinite(float(e[k])):
                            raise ArtifactError(
                                f'block library {path}: block {b.path!r} '
                                f'option {i} has {k}={e[k]}; delete it to '
                                f'rescore')
        except (KeyError, TypeError) as e:
            raise ArtifactError(
                f'block library {path} is missing field {e}; it is corrupt '
                f'or from another version: delete it to rescore') from None
        return cls(lib_space, blocks, *meta)
