"""Detection-only parts: checks that a searched backbone fits the stock
mmdet neck and head, and a fix that lets mmdet 3.3.0's SSD heads predict."""
from .detector_fit import check_detector_fit
from .detector_fit_hook import DetectorFitHook
from .ssd_head_fix import fix_ssd_head_predict

fix_ssd_head_predict()

__all__ = ['DetectorFitHook', 'check_detector_fit', 'fix_ssd_head_predict']
