from .digits_dataset import DigitsDataset
from .donna_coco_dataset import DonnaCocoDataset
from .image_patch_dataset import ImagePatchDataset
from .shapes_coco import SHAPES, generate_shapes_coco, render_scene

__all__ = [
    'DigitsDataset', 'ImagePatchDataset', 'DonnaCocoDataset', 'SHAPES',
    'generate_shapes_coco', 'render_scene'
]
