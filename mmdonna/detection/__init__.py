"""Detection-only parts: checks that a searched backbone fits the stock
mmdet neck and head; importing it applies the mmdet SSD head fix of
:mod:`mmdonna.compat`."""
from mmdonna.compat import fix_ssd_head_predict
from .detector_fit import check_detector_fit
from .detector_fit_hook import DetectorFitHook

fix_ssd_head_predict()

__all__ = ['DetectorFitHook', 'check_detector_fit']
