from .yolop import YOLOP
from .yolop_seg_head import YOLOPSegHead

__all__ = ['YOLOP', 'YOLOPSegHead']
