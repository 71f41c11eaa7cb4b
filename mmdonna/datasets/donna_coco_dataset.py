"""mmdet's CocoDataset with a clear missing-file error and the built-in
generated shapes data."""
import copy
import json
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

from mmdet.datasets import CocoDataset
from mmengine.logging import print_log

from mmdonna.registry import DATASETS
from .shapes_coco import FORMAT, generate_shapes_coco, generator_settings

GENERATE_KEYS = ('num_images', 'seed', 'img_size', 'min_size', 'max_size',
                 'max_objects')


@DATASETS.register_module()
class DonnaCocoDataset(CocoDataset):
    """COCO-format detection data, real or generated offline.

    Behaves as mmdet's ``CocoDataset``; in addition

    - a missing annotation file is a one-line error naming ``ann_file``;
    - with ``generate=dict(num_images=..., seed=...)`` the built-in shapes
      split (:func:`mmdonna.datasets.shapes_coco.generate_shapes_coco`, one
      category per ``metainfo['classes']`` entry) is written to ``ann_file``
      and the image prefix the first time, and again whenever the settings
      change. A file that mmdonna did not generate is never overwritten.

    Args:
        ann_file (str): COCO json, relative to ``data_root``.
            Defaults to ''.
        metainfo (dict, optional): ``dict(classes=...)``; for generated data
            the shape names. Defaults to None (the 80 COCO classes).
        data_root (str): Root of ``ann_file`` and ``data_prefix``.
            Defaults to ''.
        data_prefix (dict): ``dict(img=...)`` image folder.
            Defaults to dict(img='').
        filter_cfg (dict, optional): As in mmdet. Defaults to None.
        indices (int | Sequence[int], optional): Subset. Defaults to None.
        serialize_data (bool): As in mmengine. Defaults to True.
        pipeline (Sequence): Transforms. Defaults to ().
        test_mode (bool): As in mmengine. Defaults to False.
        lazy_init (bool): As in mmengine. Defaults to False.
        max_refetch (int): As in mmengine. Defaults to 1000.
        backend_args (dict, optional): File backend. Defaults to None.
        generate (dict, optional): Generator settings: ``num_images``,
            ``seed`` (give every split its own), and optionally ``img_size``
            (128), ``min_size`` (16), ``max_size`` (48), ``max_objects`` (4).
            Defaults to None (read existing files only).
    """

    def __init__(self,
                 ann_file: str = '',
                 metainfo: Optional[dict] = None,
                 data_root: str = '',
                 data_prefix: dict = dict(img=''),
                 filter_cfg: Optional[dict] = None,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 serialize_data: bool = True,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 max_refetch: int = 1000,
                 backend_args: Optional[dict] = None,
                 generate: Optional[dict] = None):
        if generate is not None:
            unknown = sorted(set(generate) - set(GENERATE_KEYS))
            if unknown or 'num_images' not in generate:
                raise ValueError(
                    f'dataset generate={dict(generate)} needs num_images and '
                    f'optionally {GENERATE_KEYS[1:]}; unknown keys {unknown}')
        self.generate = copy.deepcopy(generate)
        super().__init__(
            ann_file=ann_file,
            metainfo=copy.deepcopy(metainfo),
            data_root=data_root,
            data_prefix=copy.deepcopy(data_prefix),
            filter_cfg=copy.deepcopy(filter_cfg),
            indices=indices,
            serialize_data=serialize_data,
            pipeline=list(pipeline),
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch,
            backend_args=backend_args)

    def load_data_list(self) -> List[dict]:
        if self.generate is not None:
            self._ensure_generated()
        elif not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'dataset ann_file={self.ann_file!r} does not exist; fix '
                f'data_root/ann_file (real COCO: download it there) or set '
                f'generate=dict(num_images=..., seed=...) for the built-in '
                f'shapes data')
        return super().load_data_list()

    def _ensure_generated(self) -> None:
        gen = dict(
            img_size=128, min_size=16, max_size=48, max_objects=4, seed=0)
        gen.update(self.generate)
        classes = list(self.metainfo['classes'])
        settings = generator_settings(classes=classes, **gen)
        img_dir = self.data_prefix.get('img', '')
        if osp.isfile(self.ann_file):
            try:
                with open(self.ann_file) as f:
                    old = json.load(f)
            except (OSError, ValueError):
                old = None  # corrupt: ours by location, regenerate
            if isinstance(old, dict) and 'format' not in old:
                raise ValueError(
                    f'dataset ann_file={self.ann_file!r} exists and was not '
                    f'generated by mmdonna; remove `generate` to use it or '
                    f'point ann_file elsewhere')
            if (isinstance(old, dict) and old.get('format') == FORMAT
                    and old.get('info', {}).get('generator') == settings
                    and all(
                        osp.isfile(osp.join(img_dir, im['file_name']))
                        for im in old.get('images', []))):
                return
        print_log(
            f'generating {settings["num_images"]} shapes images -> '
            f'{self.ann_file}', 'current')
        generate_shapes_coco(self.ann_file, img_dir, **settings)
