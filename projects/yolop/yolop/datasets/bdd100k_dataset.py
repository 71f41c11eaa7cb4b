"""BDD100K in YOLOP's layout: detection boxes + drivable area + lane lines."""
import copy
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmdonna.datasets.generate_cfg import check_generate_cfg
from mmdonna.registry import DATASETS
from mmdonna.utils.io import ArtifactError, load_json_artifact
from .road_scenes import (FOLDERS, FORMAT, generate_road_scenes,
                          generator_settings, marker_path)

#: YOLOP's single detection class: every vehicle category of BDD100K.
YOLOP_CATEGORIES = dict(
    car='vehicle', bus='vehicle', truck='vehicle', train='vehicle')
GENERATE_KEYS = ('num_images', 'seed', 'img_size', 'max_vehicles')
IMG_SUFFIXES = ('.jpg', '.jpeg', '.png')


@DATASETS.register_module()
class BDD100KDataset(BaseDataset):
    """BDD100K for panoptic driving perception, in the layout of YOLOP::

        data_root/images/<split>/<id>.jpg
        data_root/det_annotations/<split>/<id>.json
        data_root/da_seg_annotations/<split>/<id>.png
        data_root/ll_seg_annotations/<split>/<id>.png

    A detection json is BDD's per-image label (``frames[0].objects[]`` with
    ``category`` and ``box2d{x1,y1,x2,y2}``); objects without ``box2d`` or
    outside ``category_map`` are skipped. Each data info carries
    ``instances`` (mmdet style), ``da_seg_path`` and ``ll_seg_path`` for
    :class:`LoadYOLOPAnnotations`.

    With ``generate=dict(num_images=..., seed=...)`` the split is generated
    road scenes (:func:`generate_road_scenes`), written once into
    ``data_root`` and again whenever the settings change; a folder holding
    images that mmdonna did not generate is never written to.

    Args:
        data_root (str): Root of the four folders.
        split (str): Split folder ('train', 'val'). Defaults to 'train'.
        category_map (dict, optional): BDD category -> class name in
            ``metainfo['classes']``. Defaults to None (YOLOP's: car, bus,
            truck and train are one class 'vehicle').
        metainfo (dict, optional): ``dict(classes=...)``. Defaults to None
            (``('vehicle', )``).
        filter_empty_gt (bool): Drop images without boxes (train only).
            Defaults to False.
        indices (int | Sequence[int], optional): Subset. Defaults to None.
        serialize_data (bool): As in mmengine. Defaults to True.
        pipeline (Sequence): Transforms. Defaults to ().
        test_mode (bool): As in mmengine. Defaults to False.
        lazy_init (bool): As in mmengine. Defaults to False.
        max_refetch (int): As in mmengine. Defaults to 1000.
        generate (dict, optional): ``num_images``, ``seed`` (one per split)
            and optionally ``img_size`` ((w, h), default (160, 96)) and
            ``max_vehicles`` (4). Defaults to None (read existing files).
    """

    METAINFO = dict(classes=('vehicle', ))

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 category_map: Optional[Dict[str, str]] = None,
                 metainfo: Optional[dict] = None,
                 filter_empty_gt: bool = False,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 serialize_data: bool = True,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 max_refetch: int = 1000,
                 generate: Optional[dict] = None):
        check_generate_cfg(generate, GENERATE_KEYS)
        self.split = split
        self.generate = copy.deepcopy(generate)
        self.category_map = dict(category_map or YOLOP_CATEGORIES)
        self.filter_empty_gt = filter_empty_gt
        classes = list((metainfo or {}).get('classes',
                                            self.METAINFO['classes']))
        stray = sorted(set(self.category_map.values()) - set(classes))
        if stray:
            raise ValueError(
                f'dataset category_map maps to {stray}, which are not in '
                f'metainfo classes {classes}; add them or fix the map')
        super().__init__(
            data_root=data_root,
            metainfo=copy.deepcopy(metainfo),
            filter_cfg=None,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=list(pipeline),
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch)

    def folder(self, key: str) -> str:
        """The split folder of ``key`` ('img', 'det', 'da', 'll')."""
        return osp.join(self.data_root, FOLDERS[key], self.split)

    def _ensure_generated(self) -> None:
        gen = dict(seed=0)
        gen.update(self.generate)
        settings = generator_settings(**gen)
        marker = marker_path(self.data_root, self.split)
        if osp.isfile(marker):
            try:
                done = load_json_artifact(marker, FORMAT, None,
                                          'generated split')
            except ArtifactError:
                done = None
            if done is not None and done.get('settings') == settings and all(
                    osp.isfile(osp.join(self.folder('img'), s + '.jpg'))
                    for s in done.get('images', [])):
                return
        elif osp.isdir(self.folder('img')) and os.listdir(self.folder('img')):
            raise ValueError(
                f'dataset folder {self.folder("img")!r} holds images that '
                f'mmdonna did not generate; remove `generate` to use them or '
                f'point data_root elsewhere')
        print_log(
            f'generating {settings["num_images"]} road scenes -> '
            f'{self.data_root} ({self.split})', 'current')
        generate_road_scenes(self.data_root, self.split, **settings)

    def _require(self, path: str, what: str, fix: str) -> None:
        if not osp.exists(path):
            raise FileNotFoundError(
                f'BDD100K {what} {path!r} does not exist; {fix}')

    def load_data_list(self) -> List[dict]:
        """One data info per image of the split."""
        if self.generate is not None:
            self._ensure_generated()
        layout = ('put BDD100K there in the YOLOP layout (images/, '
                  'det_annotations/, da_seg_annotations/, '
                  'll_seg_annotations/, each with <split>/ folders), fix '
                  'data_root/split, or set generate=dict(num_images=..., '
                  'seed=...) for generated road scenes')
        for key, what in (('img', 'image folder'),
                          ('det', 'detection annotation folder'),
                          ('da', 'drivable-area annotation folder'),
                          ('ll', 'lane-line annotation folder')):
            self._require(self.folder(key), what, layout)
        classes = list(self.metainfo['classes'])
        data_list = []
        for name in sorted(os.listdir(self.folder('img'))):
            stem, ext = osp.splitext(name)
            if ext.lower() not in IMG_SUFFIXES:
                continue
            paths = dict(
                det=osp.join(self.folder('det'), stem + '.json'),
                da=osp.join(self.folder('da'), stem + '.png'),
                ll=osp.join(self.folder('ll'), stem + '.png'))
            for key, what in (('det', 'detection annotation'),
                              ('da', 'drivable-area mask'),
                              ('ll', 'lane-line mask')):
                self._require(
                    paths[key], what,
                    f'every image of {self.folder("img")} needs one; add it '
                    f'or remove the image {name}')
            instances = self._parse_det(paths['det'], classes)
            if (self.filter_empty_gt and not self.test_mode and not instances):
                continue
            data_list.append(
                dict(
                    img_path=osp.join(self.folder('img'), name),
                    img_id=stem,
                    da_seg_path=paths['da'],
                    ll_seg_path=paths['ll'],
                    instances=instances))
        if not data_list:
            raise FileNotFoundError(
                f'BDD100K image folder {self.folder("img")!r} holds no '
                f'images ({"/".join(IMG_SUFFIXES)}); {layout}')
        return data_list

    def _parse_det(self, path: str, classes: List[str]) -> List[dict]:
        try:
            with open(path) as f:
                label = json.load(f)
            frames = label['frames'] if isinstance(label, dict) else None
            objects = frames[0].get('objects', []) if frames else []
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ValueError(
                f'BDD100K detection annotation {path!r} is not a BDD label '
                f'json (frames[0].objects[]): {e}') from None
        instances = []
        for obj in objects:
            box = obj.get('box2d')
            cls = self.category_map.get(obj.get('category'))
            if box is None or cls is None:
                continue
            bbox = [
                float(box['x1']),
                float(box['y1']),
                float(box['x2']),
                float(box['y2'])
            ]
            if bbox[2] <= bbox[0] or bbox[3] <= bbox[1]:
                continue
            instances.append(
                dict(bbox=bbox, bbox_label=classes.index(cls), ignore_flag=0))
        return instances
