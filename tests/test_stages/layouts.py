"""Miniature datasets in the standard layouts the real-data configs read:
ImageNet class folders, a COCO json, DIV2K / Set5, SIDD pairs and a BDD100K
tree in YOLOP's layout. A few generated images each."""
import json
import os
import os.path as osp

import cv2
import numpy as np


def write(path: str, h: int, w: int, seed: int) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.random.default_rng(seed).integers(0, 255, (h, w, 3), np.uint8)
    cv2.imwrite(path, img)


#: The classes of the miniature ImageNet (mmpretrain's ImageNet checks that
#: the folders match its class list: the tests pass these as metainfo).
IMAGENET_SYNSETS = ('n01440764', 'n01443537')


def fake_imagenet(root: str) -> None:
    """``imagenet/{train,val}/<synset>/*.JPEG``: two classes (the first two
    ImageNet synsets, :data:`IMAGENET_SYNSETS`), two images each."""
    for split in ('train', 'val'):
        for c, synset in enumerate(IMAGENET_SYNSETS):
            for i in range(2):
                write(
                    osp.join(root, 'imagenet', split, synset,
                             f'{synset}_{i}.JPEG'), 80, 96, 10 * c + i)


#: The ids 1..90 that COCO 2017 leaves without a category.
COCO_UNUSED_IDS = (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)


def fake_coco(root: str) -> None:
    """``coco/annotations/instances_{train,val}2017.json`` and the images
    in ``{train,val}2017/``: two images per split with a person and a car,
    COCO's 80 categories and their ids."""
    from mmdet.datasets import CocoDataset
    ids = [i for i in range(1, 91) if i not in COCO_UNUSED_IDS]
    every = [
        dict(id=i, name=n)
        for i, n in zip(ids, CocoDataset.METAINFO['classes'])
    ]
    cats = [every[0], every[2]]  # person (1), car (3)
    for s, split in enumerate(('train2017', 'val2017')):
        images, anns = [], []
        for i in range(2):
            name = f'{i:012d}.jpg'
            write(osp.join(root, 'coco', split, name), 96, 128, 10 * s + i)
            images.append(dict(id=i + 1, file_name=name, height=96, width=128))
            for k, (x, y, w, h) in enumerate([(10, 12, 40, 50),
                                              (60, 30, 44, 36)]):
                anns.append(
                    dict(
                        id=len(anns) + 1,
                        image_id=i + 1,
                        category_id=cats[k]['id'],
                        bbox=[x, y, w, h],
                        area=w * h,
                        iscrowd=0))
        out = osp.join(root, 'coco', 'annotations', f'instances_{split}.json')
        os.makedirs(osp.dirname(out), exist_ok=True)
        with open(out, 'w') as f:
            json.dump(
                dict(images=images, annotations=anns, categories=every), f)


def fake_div2k_set5(root: str) -> None:
    """DIV2K sub-images with their x2 bicubic inputs and meta file, and
    Set5's GTmod12 / LRbicx2 (mmagic's layout)."""
    names = ['0001_s001.png', '0001_s002.png']
    for i, n in enumerate(names):
        write(osp.join(root, 'DIV2K/DIV2K_train_HR_sub', n), 120, 120, i)
        write(
            osp.join(root, 'DIV2K/DIV2K_train_LR_bicubic/X2_sub', n), 60, 60,
            i)
    with open(osp.join(root, 'DIV2K/meta_info_DIV2K800sub_GT.txt'), 'w') as f:
        f.write('\n'.join(f'{n} (120,120,3)' for n in names))
    write(osp.join(root, 'Set5/GTmod12/baby.png'), 48, 36, 5)
    write(osp.join(root, 'Set5/LRbicx2/baby.png'), 24, 18, 5)


def fake_sidd(root: str) -> None:
    """SIDD ``{train,val}/{gt,noisy}/`` pairs."""
    for split, n in (('train', 2), ('val', 1)):
        for i in range(n):
            write(
                osp.join(root, f'SIDD/{split}/gt/{i:04d}_GT.png'), 260, 270, i)
            write(
                osp.join(root, f'SIDD/{split}/noisy/{i:04d}_NOISY.png'), 260,
                270, i + 10)


def fake_bdd100k(root: str) -> None:
    """BDD100K in YOLOP's layout (``images``, ``det_annotations``,
    ``da_seg_annotations``, ``ll_seg_annotations``, each ``{train,val}``),
    written by the project's road-scene renderer."""
    from projects.yolop.yolop.datasets.road_scenes import generate_road_scenes
    for seed, split in enumerate(('train', 'val')):
        generate_road_scenes(
            osp.join(root, 'bdd100k'), split, 2, seed, img_size=(320, 192))
