from .digits_dataset import DigitsDataset
from .image_patch_dataset import ImagePatchDataset

__all__ = ['DigitsDataset', 'ImagePatchDataset']
