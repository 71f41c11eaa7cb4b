from .functional import class_iou, confusion_matrix, detection_ap, seg_scores
from .yolop_metric import YOLOPMetric

__all__ = [
    'YOLOPMetric', 'class_iou', 'confusion_matrix', 'detection_ap',
    'seg_scores'
]
