"""Pack an image, its boxes and both masks into a ``DetDataSample``."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import PackDetInputs
from mmengine.structures import PixelData

from mmdonna.registry import TRANSFORMS

#: The packed mask fields, in the channel order of ``gt_seg_map``.
SEG_FIELDS = ('gt_da_seg', 'gt_ll_seg')


@TRANSFORMS.register_module()
class PackYOLOPInputs(BaseTransform):
    """mmdet's ``PackDetInputs`` (image, ``gt_instances``, meta) plus the
    H x W x 2 ``gt_seg_map`` of :class:`LoadYOLOPAnnotations` split into
    ``data_sample.gt_da_seg`` and ``data_sample.gt_ll_seg``
    (``PixelData(sem_seg=...)``, 1 x H x W long).

    Args:
        meta_keys (Sequence[str]): Meta keys, as in ``PackDetInputs``.
            Defaults to ('img_id', 'img_path', 'ori_shape', 'img_shape',
            'scale_factor', 'flip', 'flip_direction').
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_id', 'img_path', 'ori_shape',
                                             'img_shape', 'scale_factor',
                                             'flip', 'flip_direction')):
        self.meta_keys = tuple(meta_keys)
        self._pack = PackDetInputs(meta_keys=self.meta_keys)

    def transform(self, results: dict) -> dict:
        seg = results.pop('gt_seg_map', None)
        packed = self._pack(results)
        if seg is not None:
            if seg.ndim != 3 or seg.shape[-1] != len(SEG_FIELDS):
                raise ValueError(
                    f'gt_seg_map has shape {seg.shape}; expected H x W x 2 '
                    f'from LoadYOLOPAnnotations')
            sample = packed['data_samples']
            for i, field in enumerate(SEG_FIELDS):
                mask = torch.from_numpy(np.ascontiguousarray(
                    seg[..., i])).long()[None]
                sample.set_field(PixelData(sem_seg=mask), field)
        return packed

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
