"""mmdet 3.3.0's stock SSD/SSDLite detectors cannot predict: the shared
``BaseDenseHead._predict_by_feat_single`` reads ``self.loss_cls`` (to let
v3det's custom classifiers activate their scores), which ``SSDHead`` never
sets because it computes its loss inline, so every validation of a stock SSD
config fails with ``'SSDHead' object has no attribute 'loss_cls'``."""


def fix_ssd_head_predict() -> None:
    """Give mmdet's ``SSDHead`` the ``loss_cls = None`` class attribute the
    shared prediction code expects (no custom classifier: plain softmax
    scores, as SSD trains them). Idempotent; a no-op where mmdet is missing
    or ``SSDHead`` has the attribute already."""
    try:
        from mmdet.models.dense_heads import SSDHead
    except ImportError:  # detection is optional
        return
    if not hasattr(SSDHead, 'loss_cls'):
        SSDHead.loss_cls = None
