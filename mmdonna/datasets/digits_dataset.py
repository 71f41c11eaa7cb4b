"""scikit-learn's handwritten digits as an mmpretrain classification set."""
from typing import List, Optional, Sequence

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmdonna.registry import DATASETS

SPLITS = ('train', 'val', 'test')


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """The 1,797 8x8 digits that scikit-learn ships (no download), upscaled
    to ``img_size`` and replicated to 3 channels, split deterministically.

    Args:
        split (str): 'train', 'val' or 'test'. Defaults to 'train'.
        img_size (int): Side of the upscaled square image. Defaults to 32.
        ratios (Sequence[float]): Fractions of train/val/test.
            Defaults to (0.7, 0.15, 0.15).
        seed (int): Seed of the split permutation. Defaults to 0.
        pipeline (Sequence): Transforms. Defaults to ().
        test_mode (bool): Passed to the base dataset. Defaults to False.
        indices (int | Sequence[int], optional): Subset, as in mmengine.
            Defaults to None.
    """

    METAINFO = {'classes': tuple(str(i) for i in range(10))}

    def __init__(self,
                 split: str = 'train',
                 img_size: int = 32,
                 ratios: Sequence[float] = (0.7, 0.15, 0.15),
                 seed: int = 0,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 indices: Optional[Sequence[int]] = None):
        if split not in SPLITS:
            raise ValueError(f'DigitsDataset split={split!r}; use one of '
                             f'{SPLITS}')
        if len(ratios) != 3 or abs(sum(ratios) - 1) > 1e-6:
            raise ValueError(f'DigitsDataset ratios={ratios} must be three '
                             f'fractions summing to 1')
        self.split, self.img_size = split, img_size
        self.ratios, self.seed = tuple(ratios), seed
        super().__init__(
            ann_file='',
            pipeline=list(pipeline),
            test_mode=test_mode,
            indices=indices,
            lazy_init=False)

    def load_data_list(self) -> List[dict]:
        import cv2
        from sklearn.datasets import load_digits
        digits = load_digits()
        order = np.random.default_rng(self.seed).permutation(
            len(digits.target))
        n_train = int(round(self.ratios[0] * len(order)))
        n_val = int(round(self.ratios[1] * len(order)))
        bounds = dict(
            train=(0, n_train),
            val=(n_train, n_train + n_val),
            test=(n_train + n_val, len(order)))
        lo, hi = bounds[self.split]
        data_list = []
        for i in order[lo:hi]:
            img = (digits.images[i] * (255.0 / 16.0)).astype(np.uint8)
            img = cv2.resize(
                img, (self.img_size, self.img_size),
                interpolation=cv2.INTER_LINEAR)
            data_list.append(
                dict(
                    img=np.repeat(img[:, :, None], 3, axis=2),
                    gt_label=int(digits.target[i])))
        return data_list
