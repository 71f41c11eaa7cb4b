"""Built-in detection data: coloured shapes on textured backgrounds, written
offline as a COCO-format folder (images + ``instances`` json).

Every image is a pure function of ``(seed, index)`` and the settings, so a
split is reproducible bit for bit and needs no download. The annotation file
is written last and atomically: it is the "done" marker of a split.
"""
import os
import os.path as osp
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmdonna import formats
from mmdonna.utils import atomic_write_json, config_hash

FORMAT = formats.SHAPES_COCO
SHAPES = ('circle', 'square', 'triangle', 'cross', 'ring')


def _texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """Background: a few random gratings + smooth noise, tinted per
    channel, in 0..255 (float32, H x W x 3)."""
    import cv2
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    gray = np.zeros((size, size), np.float32)
    for _ in range(rng.integers(1, 4)):
        theta = rng.uniform(0, np.pi)
        freq = rng.uniform(2, 12)
        phase = rng.uniform(0, 2 * np.pi)
        gray += rng.uniform(
            0.3,
            1.0) * np.sin(2 * np.pi * freq *
                          (xx * np.cos(theta) + yy * np.sin(theta)) + phase)
    cells = int(rng.integers(3, 9))
    noise = rng.standard_normal((cells, cells)).astype(np.float32)
    gray += 1.5 * cv2.resize(
        noise, (size, size), interpolation=cv2.INTER_CUBIC)
    gray = (gray - gray.min()) / max(float(np.ptp(gray)), 1e-6)
    base = rng.uniform(40, 200, size=3).astype(np.float32)
    amp = rng.uniform(20, 60)
    img = base[None, None, :] + amp * (gray[:, :, None] - 0.5)
    img += rng.normal(0, 6, size=img.shape).astype(np.float32)
    return img


def _shape_mask(shape: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """A filled ``size`` x ``size`` uint8 mask of one shape."""
    import cv2
    mask = np.zeros((size, size), np.uint8)
    c, r = size // 2, size // 2
    if shape == 'circle':
        cv2.circle(mask, (c, c), max(r - 1, 1), 1, -1)
    elif shape == 'square':
        mask[1:size - 1, 1:size - 1] = 1
    elif shape == 'triangle':
        pts = np.array([[c, 1], [1, size - 2], [size - 2, size - 2]], np.int32)
        if rng.random() < 0.5:  # upside down as well
            pts[:, 1] = size - 1 - pts[:, 1]
        cv2.fillPoly(mask, [pts], 1)
    elif shape == 'cross':
        t = max(size // 3, 1)
        mask[c - t // 2:c - t // 2 + t, 1:size - 1] = 1
        mask[1:size - 1, c - t // 2:c - t // 2 + t] = 1
    elif shape == 'ring':
        cv2.circle(mask, (c, c), max(r - 1, 1), 1, -1)
        cv2.circle(mask, (c, c), max(r // 2, 1), 0, -1)
    else:
        raise ValueError(f'unknown shape {shape!r}; use one of {SHAPES}')
    return mask


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) -
             inter)
    return inter / union if union > 0 else 0.0


def render_scene(
    rng: np.random.Generator,
    classes: Sequence[str],
    img_size: int = 128,
    min_size: int = 16,
    max_size: int = 48,
    max_objects: int = 4,
    max_iou: float = 0.1,
    masks: Optional[List[np.ndarray]] = None,
) -> Tuple[np.ndarray, List[List[float]], List[int]]:
    """One image with 1..``max_objects`` shapes and their boxes.

    Args:
        rng (np.random.Generator): Source of randomness.
        classes (Sequence[str]): Shape names (subset of :data:`SHAPES`);
            label ``i`` is ``classes[i]``.
        img_size (int): Side of the square image. Defaults to 128.
        min_size (int): Smallest object side in pixels. Defaults to 16.
        max_size (int): Largest object side in pixels. Defaults to 48.
        max_objects (int): Most objects per image. Defaults to 4.
        max_iou (float): Largest IoU between two objects' boxes.
            Defaults to 0.1.
        masks (list, optional): When given, each object's (H, W) uint8
            instance mask is appended (the pixels a later object covers
            removed). Defaults to None.

    Returns:
        tuple: uint8 BGR image (H, W, 3), boxes as ``[x1, y1, x2, y2]``
        (pixel edges, exclusive right/bottom), labels (indices in
        ``classes``).
    """
    img = _texture(rng, img_size)
    boxes, labels = [], []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        for _attempt in range(20):
            size = int(rng.integers(min_size, max_size + 1))
            x = int(rng.integers(0, img_size - size + 1))
            y = int(rng.integers(0, img_size - size + 1))
            label = int(rng.integers(len(classes)))
            mask = _shape_mask(classes[label], size, rng)
            ys, xs = np.nonzero(mask)
            box = [
                x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1,
                y + int(ys.max()) + 1
            ]
            if all(_iou(box, b) <= max_iou for b in boxes):
                break
        else:
            continue  # no room left for this object
        # a colour that stands out from the local background
        local = img[y:y + size, x:x + size].mean((0, 1))
        colour = rng.uniform(0, 255, size=3)
        far = np.abs(colour - local).max()
        if far < 80:
            k = int(np.argmax(np.abs(colour - local)))
            colour[k] = 255.0 if local[k] < 128 else 0.0
        shade = colour[None, None, :] + rng.normal(0, 8, size=(size, size, 3))
        region = img[y:y + size, x:x + size]
        region[mask > 0] = shade[mask > 0]
        if masks is not None:
            full = np.zeros((img_size, img_size), np.uint8)
            full[y:y + size, x:x + size] = mask > 0
            for m in masks[len(masks) - len(boxes):]:  # this image's
                m[full > 0] = 0
            masks.append(full)
        boxes.append([float(v) for v in box])
        labels.append(label)
    return np.clip(img, 0, 255).astype(np.uint8), boxes, labels


def generator_settings(classes: Sequence[str], num_images: int, seed: int,
                       img_size: int, min_size: int, max_size: int,
                       max_objects: int) -> dict:
    """The settings that fully determine a generated split."""
    return dict(
        classes=list(classes),
        num_images=int(num_images),
        seed=int(seed),
        img_size=int(img_size),
        min_size=int(min_size),
        max_size=int(max_size),
        max_objects=int(max_objects))


def check_settings(classes: Sequence[str], num_images: int, img_size: int,
                   min_size: int, max_size: int, max_objects: int) -> None:
    """One-line errors for settings that cannot produce a dataset."""
    unknown = [c for c in classes if c not in SHAPES]
    if not classes or unknown:
        more = ', ...' if len(unknown) > 3 else ''
        raise ValueError(
            f'dataset metainfo classes have no shape {unknown[:3]}{more}; '
            f'set metainfo=dict(classes=...) to names from {SHAPES}')
    if num_images < 1 or max_objects < 1:
        raise ValueError(f'generate.num_images={num_images} and '
                         f'generate.max_objects={max_objects} must be >= 1')
    if not 4 <= min_size <= max_size <= img_size:
        raise ValueError(
            f'generate needs 4 <= min_size <= max_size <= img_size, got '
            f'min_size={min_size}, max_size={max_size}, '
            f'img_size={img_size}')


def _write_image(path: str, img: np.ndarray) -> None:
    import cv2
    folder = osp.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix='.img.', suffix='.png', dir=folder)
    os.close(fd)
    try:
        if not cv2.imwrite(tmp, img):
            raise OSError(f'could not write image {path}')
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def generate_shapes_coco(ann_file: str,
                         img_dir: str,
                         classes: Sequence[str] = ('circle', 'square',
                                                   'triangle'),
                         num_images: int = 200,
                         seed: int = 0,
                         img_size: int = 128,
                         min_size: int = 16,
                         max_size: int = 48,
                         max_objects: int = 4) -> Dict:
    """Write one split: PNG images into ``img_dir`` and a COCO ``instances``
    json to ``ann_file`` (written last, atomically). Every object has its
    box and its instance mask (``segmentation``, RLE; ``area`` is the box
    area).

    Give every split its own ``seed``: the same seed gives the same images.

    Args:
        ann_file (str): Path of the COCO json to write.
        img_dir (str): Folder of the images.
        classes (Sequence[str]): Shape names, category ids 1..n in this order.
            Defaults to ('circle', 'square', 'triangle').
        num_images (int): Images in the split. Defaults to 200.
        seed (int): Seed of the split. Defaults to 0.
        img_size (int): Image side. Defaults to 128.
        min_size (int): Smallest object side. Defaults to 16.
        max_size (int): Largest object side. Defaults to 48.
        max_objects (int): Most objects per image. Defaults to 4.

    Returns:
        dict: The COCO json that was written.
    """
    check_settings(classes, num_images, img_size, min_size, max_size,
                   max_objects)
    settings = generator_settings(classes, num_images, seed, img_size,
                                  min_size, max_size, max_objects)
    from pycocotools import mask as mask_utils  # mmdet's dependency
    os.makedirs(img_dir, exist_ok=True)
    images, annotations = [], []
    for i in range(num_images):
        rng = np.random.default_rng([seed, i])
        masks: List[np.ndarray] = []
        img, boxes, labels = render_scene(
            rng,
            classes,
            img_size,
            min_size,
            max_size,
            max_objects,
            masks=masks)
        name = f'{i:06d}.png'
        _write_image(osp.join(img_dir, name), img)
        images.append(
            dict(id=i + 1, file_name=name, width=img_size, height=img_size))
        for box, label, mask in zip(boxes, labels, masks):
            w, h = box[2] - box[0], box[3] - box[1]
            rle = mask_utils.encode(np.asfortranarray(mask))
            rle['counts'] = rle['counts'].decode('ascii')
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=i + 1,
                    category_id=label + 1,
                    bbox=[box[0], box[1], w, h],
                    area=w * h,
                    segmentation=rle,
                    iscrowd=0))
    coco = dict(
        format=FORMAT,
        config_hash=config_hash(settings),
        info=dict(description='mmdonna built-in shapes', generator=settings),
        images=images,
        annotations=annotations,
        categories=[
            dict(id=i + 1, name=c, supercategory='shape')
            for i, c in enumerate(classes)
        ])
    atomic_write_json(ann_file, coco)
    return coco
