"""Generated road scenes in the YOLOP/BDD100K on-disk layout.

Every image is a pure function of ``(seed, index)`` and the settings: a
drivable road (a trapezoid towards a vanishing point), lane lines painted on
it, vehicles (cars, buses, trucks as boxes with windows and wheels) standing
on the road in perspective (hiding the road and lanes behind them in the
masks) and a traffic sign by the roadside. A split is
written as YOLOP reads BDD100K::

    root/images/<split>/<id>.jpg
    root/det_annotations/<split>/<id>.json   (BDD: frames[0].objects[])
    root/da_seg_annotations/<split>/<id>.png (drivable area, 0/255)
    root/ll_seg_annotations/<split>/<id>.png (lane lines, 0/255)

``root/generated_<split>.json`` records the settings and is written last:
it is the "done" marker of a split.
"""
import json
import os
import os.path as osp
import re
from typing import List, Sequence, Tuple

import numpy as np

from mmdonna import formats
from mmdonna.utils import atomic_write_json, config_hash

FORMAT = formats.YOLOP_ROAD_SCENES
#: BDD100K categories the generator draws as vehicles.
VEHICLES = ('car', 'bus', 'truck')
#: The YOLOP folders of one split, relative to the data root.
FOLDERS = dict(
    img='images',
    det='det_annotations',
    da='da_seg_annotations',
    ll='ll_seg_annotations')


def marker_path(root: str, split: str) -> str:
    """The "done" marker of a generated split."""
    return osp.join(root, f'generated_{split}.json')


def generator_settings(num_images: int,
                       seed: int,
                       img_size: Sequence[int] = (160, 96),
                       max_vehicles: int = 4) -> dict:
    """Validated settings of one generated split (the marker's content)."""
    w, h = (int(s) for s in img_size)
    if num_images < 1 or w < 32 or h < 32 or max_vehicles < 0:
        raise ValueError(
            f'generate needs num_images >= 1, img_size (w, h) >= 32 and '
            f'max_vehicles >= 0; got num_images={num_images}, img_size='
            f'{tuple(img_size)}, max_vehicles={max_vehicles}')
    return dict(
        num_images=int(num_images),
        seed=int(seed),
        img_size=[w, h],
        max_vehicles=int(max_vehicles))


def _road_x(y: float, horizon: float, h: int, bottom: Tuple[float, float],
            top: Tuple[float, float]) -> Tuple[float, float]:
    """Left and right road edge at image row ``y``."""
    t = (y - horizon) / max(h - horizon, 1e-6)
    return (top[0] + t * (bottom[0] - top[0]),
            top[1] + t * (bottom[1] - top[1]))


def _background(rng: np.random.Generator, w: int, h: int,
                horizon: int) -> np.ndarray:
    """Sky gradient above the horizon, textured verge below (float32)."""
    import cv2
    img = np.zeros((h, w, 3), np.float32)
    sky_top = rng.uniform([150, 100, 60], [255, 200, 140])  # BGR
    sky_low = rng.uniform([200, 180, 150], [255, 240, 230])
    t = np.linspace(0, 1, max(horizon, 1))[:, None, None]
    img[:horizon] = sky_top * (1 - t) + sky_low * t
    ground = rng.uniform([20, 60, 40], [90, 150, 120])
    cells = int(rng.integers(4, 10))
    noise = cv2.resize(
        rng.standard_normal((cells, cells)).astype(np.float32), (w, h),
        interpolation=cv2.INTER_CUBIC)
    img[horizon:] = ground + 18 * noise[horizon:, :, None]
    return img


def _fill(img: np.ndarray, pts: List[Tuple[float, float]], color) -> None:
    import cv2
    cv2.fillPoly(img, [np.round(np.array(pts)).astype(np.int32)], color)


def _rect(img: np.ndarray, x1: float, y1: float, x2: float, y2: float,
          color) -> None:
    _fill(img, [(x1, y1), (x2, y1), (x2, y2), (x1, y2)], color)


def render_road_scene(rng: np.random.Generator,
                      img_size: Sequence[int] = (160, 96),
                      max_vehicles: int = 4) -> tuple:
    """One scene.

    Args:
        rng (np.random.Generator): Source of every random choice.
        img_size (Sequence[int]): (width, height). Defaults to (160, 96).
        max_vehicles (int): Most vehicles per image. Defaults to 4.

    Returns:
        tuple: BGR uint8 image (H, W, 3), drivable mask and lane mask (H, W)
        uint8 in {0, 255}, and the BDD ``objects`` list (vehicles, a traffic
        sign, the drivable area and lanes as ``poly2d``).
    """
    w, h = (int(s) for s in img_size)
    horizon = int(round(h * rng.uniform(0.35, 0.5)))
    img = _background(rng, w, h, horizon)
    vx = w * rng.uniform(0.35, 0.65)
    half_top = w * rng.uniform(0.02, 0.05)
    top = (vx - half_top, vx + half_top)
    bottom = (w * rng.uniform(-0.3, 0.15), w * rng.uniform(0.85, 1.3))
    road = [(bottom[0], h), (bottom[1], h), (top[1], horizon),
            (top[0], horizon)]
    da = np.zeros((h, w), np.uint8)
    _fill(da, road, 255)
    grey = rng.uniform(70, 130)
    road_img = np.full((h, w, 3), grey, np.float32)
    road_img += rng.normal(0, 5, size=road_img.shape).astype(np.float32)
    img = np.where(da[:, :, None] > 0, road_img, img)

    # lane lines: both road edges and the dividers of 2-3 lanes, each a
    # strip narrowing towards the vanishing point
    ll = np.zeros((h, w), np.uint8)
    lanes = int(rng.integers(2, 4))
    fracs = [0.04, 0.96] + [k / lanes for k in range(1, lanes)]
    thick = max(w / 60.0, 1.5)
    objects = []
    for f in fracs:
        xb = bottom[0] + f * (bottom[1] - bottom[0])
        xt = top[0] + f * (top[1] - top[0])
        strip = [(xb - thick, h), (xb + thick, h), (xt + 0.6, horizon + 1),
                 (xt - 0.6, horizon + 1)]
        yellow = f not in (0.04, 0.96) and rng.random() < 0.3
        color = (40, 200, 230) if yellow else (235, 235, 235)
        _fill(img, strip, color)
        _fill(ll, strip, 255)
        objects.append(
            dict(
                category='lane/single white',
                poly2d=[[float(xb), float(h), 'L'],
                        [float(xt), float(horizon + 1), 'L']]))

    # a traffic sign on a pole by the roadside (not a YOLOP class)
    side = bottom[0] - w * 0.02 if rng.random() < 0.5 else bottom[1] - w * 0.2
    sx = float(np.clip(side, 2, w - 8))
    ss = max(3.0, w * rng.uniform(0.03, 0.05))
    sy = horizon - ss * rng.uniform(0.2, 1.5)
    _rect(img, sx, sy, sx + ss, sy + ss, (30, 30, 200))
    objects.append(
        dict(
            category='traffic sign',
            box2d=dict(
                x1=sx, y1=float(sy), x2=float(sx + ss), y2=float(sy + ss))))

    # vehicles, far ones first so near ones occlude them
    n = int(rng.integers(0, max_vehicles + 1))
    depths = np.sort(rng.uniform(0.12, 1.0, size=n))
    for d in depths:
        yb = horizon + d * (h - horizon)
        left, right = _road_x(yb, horizon, h, bottom, top)
        cat = VEHICLES[int(rng.integers(len(VEHICLES)))]
        big = 1.25 if cat != 'car' else 1.0  # buses and trucks
        vw = w * 0.3 * d * rng.uniform(0.8, 1.1) * big
        aspect = (0.7, 0.9) if cat == 'car' else (0.95, 1.2)
        vh = vw * rng.uniform(*aspect)
        if vw < 5 or vh < 4:
            continue
        lo, hi = max(left, 0) + vw / 2, min(right, w) - vw / 2
        cx = rng.uniform(lo, hi) if hi > lo else (left + right) / 2
        x1, x2 = cx - vw / 2, cx + vw / 2
        y1, y2 = yb - vh, yb
        body = rng.uniform(20, 235, size=3).tolist()
        _rect(img, x1, y1, x2, y2, body)
        # a vehicle hides the road and its lanes (as in BDD100K's masks)
        _rect(da, x1, y1, x2, y2, 0)
        _rect(ll, x1, y1, x2, y2, 0)
        # rear window, tail lights, wheels
        _rect(img, x1 + 0.15 * vw, y1 + 0.12 * vh, x2 - 0.15 * vw,
              y1 + 0.45 * vh, (60, 50, 40))
        for lx in (x1 + 0.04 * vw, x2 - 0.16 * vw):
            _rect(img, lx, y1 + 0.55 * vh, lx + 0.12 * vw, y1 + 0.68 * vh,
                  (20, 20, 220))
        for wx in (x1, x2 - 0.2 * vw):
            _rect(img, wx, y2 - 0.12 * vh, wx + 0.2 * vw, y2, (15, 15, 15))
        box = [
            float(np.clip(x1, 0, w)),
            float(np.clip(y1, 0, h)),
            float(np.clip(x2, 0, w)),
            float(np.clip(y2, 0, h))
        ]
        if box[2] - box[0] >= 2 and box[3] - box[1] >= 2:
            objects.append(
                dict(
                    category=cat,
                    box2d=dict(x1=box[0], y1=box[1], x2=box[2], y2=box[3])))
    objects.append(
        dict(
            category='area/drivable',
            poly2d=[[float(x), float(y), 'L'] for x, y in road]))
    img += rng.normal(0, 4, size=img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    return img, da, ll, objects


def generate_road_scenes(root: str,
                         split: str,
                         num_images: int,
                         seed: int,
                         img_size: Sequence[int] = (160, 96),
                         max_vehicles: int = 4) -> str:
    """Write one split of generated road scenes under ``root``.

    Args:
        root (str): Data root (e.g. ``data/generated/yolop``).
        split (str): Split folder name ('train', 'val', ...).
        num_images (int): Images in the split.
        seed (int): Seed of the split; give every split its own.
        img_size (Sequence[int]): (width, height). Defaults to (160, 96).
        max_vehicles (int): Most vehicles per image. Defaults to 4.

    Returns:
        str: The split's marker file.
    """
    import cv2
    settings = generator_settings(num_images, seed, img_size, max_vehicles)
    dirs = {k: osp.join(root, v, split) for k, v in FOLDERS.items()}
    keep = {f'{split}_{i:05d}' for i in range(settings['num_images'])}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
        for name in os.listdir(d):  # images of an earlier, larger split
            stem = osp.splitext(name)[0]
            if re.fullmatch(rf'{re.escape(split)}_\d{{5}}', stem) and \
                    stem not in keep:
                os.remove(osp.join(d, name))
    for i in range(settings['num_images']):
        rng = np.random.default_rng([settings['seed'], i])
        img, da, ll, objects = render_road_scene(rng, settings['img_size'],
                                                 settings['max_vehicles'])
        stem = f'{split}_{i:05d}'
        cv2.imwrite(
            osp.join(dirs['img'], stem + '.jpg'), img,
            [cv2.IMWRITE_JPEG_QUALITY, 95])
        cv2.imwrite(osp.join(dirs['da'], stem + '.png'), da)
        cv2.imwrite(osp.join(dirs['ll'], stem + '.png'), ll)
        with open(osp.join(dirs['det'], stem + '.json'), 'w') as f:
            json.dump(
                dict(
                    name=stem,
                    frames=[dict(timestamp=10000, objects=objects)],
                    attributes=dict(
                        weather='clear', scene='highway',
                        timeofday='daytime')), f)
    marker = marker_path(root, split)
    atomic_write_json(
        marker,
        dict(
            format=FORMAT,
            settings=settings,
            config_hash=config_hash(settings),
            images=sorted(keep)))
    return marker
