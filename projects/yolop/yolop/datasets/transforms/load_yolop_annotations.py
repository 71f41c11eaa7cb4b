"""Load the boxes and both segmentation masks of a BDD100K image."""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import LoadAnnotations
from mmengine.fileio import get

from mmdonna.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadYOLOPAnnotations(BaseTransform):
    """Boxes and labels as mmdet's ``LoadAnnotations`` loads them
    (``gt_bboxes``, ``gt_bboxes_labels``, ``gt_ignore_flags``) plus the
    drivable-area and lane-line masks stacked into one H x W x 2 uint8
    ``gt_seg_map`` (channel 0: drivable area, channel 1: lane lines, values
    0/1), so that mmdet's ``Resize``, ``Pad`` and ``RandomFlip`` move both
    masks with the image; :class:`PackYOLOPInputs` splits them again.

    A mask pixel is foreground when its grey value exceeds ``threshold``,
    as YOLOP binarises BDD100K's masks (``cv2.threshold(mask, 1, 255)``).

    Args:
        threshold (int): Grey value a foreground pixel exceeds.
            Defaults to 1.
        backend_args (dict, optional): File backend. Defaults to None.
    """

    def __init__(self,
                 threshold: int = 1,
                 backend_args: Optional[dict] = None):
        self.threshold = threshold
        self.backend_args = backend_args
        self._det = LoadAnnotations(
            with_bbox=True,
            with_label=True,
            box_type='hbox',
            backend_args=backend_args)

    def _mask(self, path: str) -> np.ndarray:
        mask = mmcv.imfrombytes(
            get(path, backend_args=self.backend_args),
            flag='grayscale',
            backend='cv2')
        return (mask > self.threshold).astype(np.uint8)

    def transform(self, results: dict) -> dict:
        results = self._det(results)
        da = self._mask(results['da_seg_path'])
        ll = self._mask(results['ll_seg_path'])
        if da.shape != ll.shape:
            raise ValueError(
                f'drivable-area mask {results["da_seg_path"]} is {da.shape} '
                f'but lane-line mask {results["ll_seg_path"]} is {ll.shape}; '
                f'both must have the image size')
        results['gt_seg_map'] = np.stack([da, ll], axis=-1)
        results['seg_fields'] = results.get('seg_fields', []) + ['gt_seg_map']
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(threshold={self.threshold}, '
                f'backend_args={self.backend_args})')
