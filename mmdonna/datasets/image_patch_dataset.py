"""Restoration patches (denoising / super-resolution) cut from the images that
scikit-image ships: built-in data for mmagic editors, no download."""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from mmdonna.registry import DATASETS

TASKS = ('denoising', 'sisr')
SPLITS = ('train', 'val')
DEFAULT_IMAGES = ('astronaut', 'coffee', 'chelsea', 'camera', 'rocket',
                  'immunohistochemistry')


def load_image(name: str, key: str = 'images') -> np.ndarray:
    """An H x W x 3 uint8 RGB image from a ``skimage.data`` name or a path.

    Gray images are replicated to three channels, an alpha channel dropped.

    Args:
        name (str): ``skimage.data`` function name (e.g. 'astronaut') or an
            image file path.
        key (str): Config key named in errors. Defaults to 'images'.
    """
    if osp.splitext(name)[1] or osp.sep in name:
        if not osp.isfile(name):
            raise FileNotFoundError(
                f'{key}: image file {name!r} does not exist; fix the path or '
                f'use a scikit-image sample such as {DEFAULT_IMAGES[0]!r}')
        import mmcv
        img = mmcv.imread(name, 'color', channel_order='rgb')
        if img is None:
            raise ValueError(f'{key}: {name!r} is not a readable image')
    else:
        import skimage.data
        func = getattr(skimage.data, name, None)
        if not callable(func) or name in ('download_all', 'data_dir',
                                          'file_hash'):
            raise ValueError(f'{key}: {name!r} is neither an image file nor a '
                             f'scikit-image sample; use a path or one of '
                             f'{list(DEFAULT_IMAGES)}')
        try:
            img = np.asarray(func())
        except (ImportError, OSError, ValueError) as e:  # needs a download
            raise ValueError(
                f'{key}: scikit-image sample {name!r} is not available '
                f'offline ({type(e).__name__}); use one of '
                f'{list(DEFAULT_IMAGES)}') from None
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3, 4):
        raise ValueError(f'{key}: {name!r} has shape {img.shape}, not an '
                         f'H x W (x 3) image; drop it')
    img = img[:, :, :3]
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img.astype(np.uint8))


def patch_grid(height: int, width: int, size: int,
               step: int) -> List[Tuple[int, int]]:
    """Top-left corners of ``size`` x ``size`` patches every ``step`` pixels
    that fit inside a ``height`` x ``width`` image."""
    return [(y, x) for y in range(0, height - size + 1, step)
            for x in range(0, width - size + 1, step)]


def bicubic_downsample(img: np.ndarray, scale: int) -> np.ndarray:
    """MATLAB-style bicubic downsampling by ``scale`` (how DIV2K's LR images
    are made), with mmagic's ``MATLABLikeResize``; uint8 in and out."""
    from mmagic.datasets.transforms import MATLABLikeResize
    resize = MATLABLikeResize(keys=['img'], scale=1 / scale)
    out = resize(dict(img=img.astype(np.float32)))['img']
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


@DATASETS.register_module()
class ImagePatchDataset(BaseDataset):
    """Paired restoration patches from scikit-image's sample images.

    Every image is cut into a grid of ``patch_size`` ground-truth patches;
    per image, a seeded permutation sends ``val_ratio`` of them to 'val' and
    the rest to 'train', so both splits see every image but (with the default
    non-overlapping grid) never the same pixels. The degraded input is

    * ``task='denoising'``: the image plus Gaussian noise of std ``sigma``
      (0..255 scale), float32 and unclipped like mmagic's ``RandomNoise``;
      the noise is drawn once per image from ``seed``, so it is the same on
      every run;
    * ``task='sisr'``: the image downsampled by ``scale`` with MATLAB-style
      bicubic (mmagic's ``MATLABLikeResize``), uint8.

    Items carry ``img`` (input), ``gt`` and their paths / channel orders as
    mmagic's ``LoadImageFromFile`` writes them, so mmagic's stock transforms
    (``Flip``, ``RandomTransposeHW``, ``PackInputs``), ``DataPreprocessor``
    and metrics (``PSNR``, ``SSIM``) work unchanged.

    Args:
        task (str): 'denoising' or 'sisr'. Defaults to 'denoising'.
        split (str): 'train' or 'val'. Defaults to 'train'.
        images (Sequence[str]): ``skimage.data`` names or image paths.
            Defaults to ``DEFAULT_IMAGES``.
        patch_size (int): Side of a ground-truth patch. Defaults to 48.
        patch_step (int, optional): Grid step; defaults to ``patch_size``
            (non-overlapping). Defaults to None.
        sigma (float): Noise std for denoising. Defaults to 25.
        scale (int): Downsampling factor for 'sisr'. Defaults to 2.
        val_ratio (float): Fraction of each image's patches in 'val'.
            Defaults to 0.2.
        max_patches_per_image (int, optional): Keep at most this many patches
            per image in this split. Defaults to None (all).
        seed (int): Seed of the split and of the noise. Defaults to 0.
        pipeline (Sequence): Transforms. Defaults to ().
        test_mode (bool): Passed to the base dataset. Defaults to False.
        indices (int | Sequence[int], optional): Subset, as in mmengine.
            Defaults to None.
        serialize_data (bool): mmengine's packing of the data list into one
            buffer (saves memory with many workers; costs a full garbage
            collection per dataset). The patches are a few MB. Defaults to
            False.
    """

    def __init__(self,
                 task: str = 'denoising',
                 split: str = 'train',
                 images: Sequence[str] = DEFAULT_IMAGES,
                 patch_size: int = 48,
                 patch_step: Optional[int] = None,
                 sigma: float = 25,
                 scale: int = 2,
                 val_ratio: float = 0.2,
                 max_patches_per_image: Optional[int] = None,
                 seed: int = 0,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 indices: Optional[Sequence[int]] = None,
                 serialize_data: bool = False):
        if task not in TASKS:
            raise ValueError(f'ImagePatchDataset task={task!r}; use one of '
                             f'{TASKS}')
        if split not in SPLITS:
            raise ValueError(f'ImagePatchDataset split={split!r}; use one of '
                             f'{SPLITS}')
        if isinstance(images, str) or not images:
            raise ValueError(f'ImagePatchDataset images={images!r} must be a '
                             f'non-empty list of names or paths')
        if task == 'sisr' and (scale < 1 or patch_size % scale or
                               (patch_step or patch_size) % scale):
            raise ValueError(
                f'ImagePatchDataset patch_size={patch_size} and patch_step='
                f'{patch_step} must be multiples of scale={scale} for '
                f'super-resolution')
        if not 0 < val_ratio < 1:
            raise ValueError(f'ImagePatchDataset val_ratio={val_ratio} must '
                             f'be between 0 and 1')
        if patch_size < 1 or (patch_step is not None and patch_step < 1):
            raise ValueError(f'ImagePatchDataset patch_size={patch_size} and '
                             f'patch_step={patch_step} must be positive')
        self.task, self.split = task, split
        self.images = tuple(images)
        self.patch_size = patch_size
        self.patch_step = patch_step or patch_size
        self.sigma, self.scale = float(sigma), int(scale)
        self.val_ratio = val_ratio
        self.max_patches_per_image = max_patches_per_image
        self.seed = seed
        super().__init__(
            ann_file='',
            pipeline=list(pipeline),
            test_mode=test_mode,
            indices=indices,
            serialize_data=serialize_data,
            lazy_init=False)
        # set here, not through `metainfo=`: mmengine would try to open
        # these strings as meta files
        self._metainfo.update(dataset_type='skimage_patches', task_name=task)

    def _split_corners(self, corners: list, index: int) -> list:
        order = np.random.default_rng([self.seed,
                                       index]).permutation(len(corners))
        n_val = min(
            len(corners) - 1, max(1,
                                  int(round(self.val_ratio * len(corners)))))
        chosen = order[:n_val] if self.split == 'val' else order[n_val:]
        chosen = sorted(chosen.tolist())
        if self.max_patches_per_image is not None:
            chosen = chosen[:self.max_patches_per_image]
        return [corners[i] for i in chosen]

    def load_data_list(self) -> List[dict]:
        size, s = self.patch_size, self.scale
        data_list = []
        for index, name in enumerate(self.images):
            key = f'images[{index}]'
            gt_img = load_image(name, key)
            h, w = gt_img.shape[:2]
            if h < size or w < size:
                raise ValueError(
                    f'{key}: {name!r} is {h}x{w}, smaller than '
                    f'patch_size={size}; lower patch_size or drop the image')
            corners = patch_grid(h, w, size, self.patch_step)
            if len(corners) < 2:
                raise ValueError(
                    f'{key}: {name!r} ({h}x{w}) gives {len(corners)} patch '
                    f'of {size}; a train/val split needs at least 2: lower '
                    f'patch_size')
            if self.task == 'denoising':
                noise = np.random.default_rng([self.seed, index, 1
                                               ]).standard_normal(gt_img.shape)
                lq_img = (
                    gt_img.astype(np.float32) +
                    (noise * self.sigma).astype(np.float32))
                lq_size, lq_step = size, 1
            else:
                gt_img = gt_img[:h - h % s, :w - w % s]
                lq_img = bicubic_downsample(gt_img, s)
                lq_size, lq_step = size // s, s
            for y, x in self._split_corners(corners, index):
                gt = gt_img[y:y + size, x:x + size]
                ly, lx = y // lq_step, x // lq_step
                lq = lq_img[ly:ly + lq_size, lx:lx + lq_size]
                path = f'skimage:{name}@y{y}x{x}'
                data_list.append(
                    dict(
                        img=np.ascontiguousarray(lq),
                        gt=np.ascontiguousarray(gt),
                        img_path=path,
                        gt_path=path,
                        ori_img_shape=lq.shape,
                        ori_gt_shape=gt.shape,
                        img_channel_order='rgb',
                        gt_channel_order='rgb',
                        img_color_type='color',
                        gt_color_type='color'))
        return data_list
