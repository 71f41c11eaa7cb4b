"""Detection-only parts: checks that a searched backbone fits the stock
mmdet neck and head."""
from .detector_fit import check_detector_fit
from .detector_fit_hook import DetectorFitHook

__all__ = ['DetectorFitHook', 'check_detector_fit']
