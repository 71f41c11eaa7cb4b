"""scikit-learn's handwritten digits as an mmpretrain classification set."""
from typing import List, Optional, Sequence

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmdonna.registry import DATASETS

SPLITS = ('train', 'val', 'test')
DISTORT_DEFAULTS = dict(
    copies=4, rotate=25.0, scale=(0.75, 1.1), shift=0.12, noise=48.0)


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
        distort (dict, optional): A harder, larger task from the same digits:
            every digit of the split rendered ``copies`` times with a random
            affine warp (rotation up to ``rotate`` degrees, scale drawn from
            ``scale``, shift up to ``shift`` of the side) and Gaussian pixel
            noise of std ``noise`` (0..255), seeded per digit and copy, so the
            set is the same on every run and the splits stay disjoint (they
            are cut before the copies). Keys and defaults: ``copies=4,
            rotate=25, scale=(0.75, 1.1), shift=0.12, noise=48``.
            Defaults to None (the plain upscaled digits).
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
                 distort: Optional[dict] = None,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 indices: Optional[Sequence[int]] = None):
        if split not in SPLITS:
            raise ValueError(f'DigitsDataset split={split!r}; use one of '
                             f'{SPLITS}')
        if len(ratios) != 3 or abs(sum(ratios) - 1) > 1e-6:
            raise ValueError(f'DigitsDataset ratios={ratios} must be three '
                             f'fractions summing to 1')
        if distort is not None:
            unknown = set(distort) - set(DISTORT_DEFAULTS)
            if unknown:
                raise KeyError(f'DigitsDataset distort has unknown keys '
                               f'{sorted(unknown)}; allowed: '
                               f'{sorted(DISTORT_DEFAULTS)}')
            distort = {**DISTORT_DEFAULTS, **distort}
            if int(distort['copies']) < 1:
                raise ValueError(f'DigitsDataset distort.copies='
                                 f'{distort["copies"]} must be >= 1')
        self.distort = distort
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
            copies = ([img] if self.distort is None else [
                self._distorted(img, int(i), c)
                for c in range(int(self.distort['copies']))
            ])
            for im in copies:
                data_list.append(
                    dict(
                        img=np.repeat(im[:, :, None], 3, axis=2),
                        gt_label=int(digits.target[i])))
        return data_list

    def _distorted(self, img: np.ndarray, index: int, copy: int) -> np.ndarray:
        """One random affine + noise rendering of ``img``, seeded by
        (seed, digit index, copy)."""
        import cv2
        d = self.distort
        rng = np.random.default_rng([self.seed, index, copy])
        size = img.shape[0]
        angle = rng.uniform(-d['rotate'], d['rotate'])
        scale = rng.uniform(*d['scale'])
        mat = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
        mat[:, 2] += rng.uniform(-d['shift'], d['shift'], 2) * size
        out = cv2.warpAffine(
            img.astype(np.float32),
            mat, (size, size),
            flags=cv2.INTER_LINEAR,
            borderValue=0)
        out += rng.normal(0, d['noise'], out.shape)
        return np.clip(out, 0, 255).astype(np.uint8)
