"""The YOLOP metrics as plain functions over arrays."""
from typing import Dict, List, Sequence

import numpy as np
from mmdet.evaluation.functional import average_precision, bbox_overlaps


def confusion_matrix(pred: np.ndarray,
                     gt: np.ndarray,
                     num_classes: int = 2,
                     ignore_index: int = 255) -> np.ndarray:
    """(num_classes, num_classes) pixel counts, rows ground truth, columns
    prediction; ``ignore_index`` pixels of ``gt`` are not counted."""
    pred = np.asarray(pred).reshape(-1).astype(np.int64)
    gt = np.asarray(gt).reshape(-1).astype(np.int64)
    if pred.shape != gt.shape:
        raise ValueError(f'prediction has {pred.size} pixels, ground truth '
                         f'{gt.size}')
    keep = gt != ignore_index
    idx = gt[keep] * num_classes + pred[keep]
    return np.bincount(
        idx, minlength=num_classes**2).reshape(num_classes, num_classes)


def class_iou(conf: np.ndarray) -> np.ndarray:
    """IoU per class (NaN for a class absent from both)."""
    conf = np.asarray(conf, np.float64)
    inter = np.diag(conf)
    union = conf.sum(0) + conf.sum(1) - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        return inter / union


def seg_scores(conf: np.ndarray) -> Dict[str, float]:
    """YOLOP's segmentation figures from one confusion matrix: ``mIoU``
    (mean over classes, background included), ``IoU`` (foreground, the
    last class), ``acc`` (YOLOP's lane "accuracy": share of foreground
    pixels predicted as foreground) and ``pixel_acc`` (all pixels)."""
    conf = np.asarray(conf, np.float64)
    iou = class_iou(conf)
    fg = conf[-1].sum()
    return dict(
        mIoU=float(np.nanmean(iou)) if np.isfinite(iou).any() else 0.0,
        IoU=float(np.nan_to_num(iou[-1])),
        acc=float(conf[-1, -1] / fg) if fg > 0 else 0.0,
        pixel_acc=float(np.trace(conf) / max(conf.sum(), 1.0)))


def detection_ap(dets: Sequence[np.ndarray],
                 gts: Sequence[np.ndarray],
                 iou_thr: float = 0.5) -> Dict[str, float]:
    """VOC-style AP (area under the interpolated PR curve) and recall of
    one class over a set of images.

    Args:
        dets (Sequence[np.ndarray]): Per image (k, 5) boxes x1, y1, x2, y2,
            score.
        gts (Sequence[np.ndarray]): Per image (m, 4) boxes.
        iou_thr (float): Match threshold. Defaults to 0.5.

    Returns:
        dict: ``ap``, ``recall`` (at the lowest score kept), ``num_gts``;
        NaN AP and recall when there is no ground truth.
    """
    scores: List[np.ndarray] = []
    tps: List[np.ndarray] = []
    num_gts = 0
    for det, gt in zip(dets, gts):
        det = np.asarray(det, np.float32).reshape(-1, 5)
        gt = np.asarray(gt, np.float32).reshape(-1, 4)
        num_gts += len(gt)
        order = np.argsort(-det[:, 4], kind='stable')
        det = det[order]
        tp = np.zeros(len(det), np.float32)
        if len(gt) and len(det):
            ious = bbox_overlaps(det[:, :4], gt)
            taken = np.zeros(len(gt), bool)
            for i in range(len(det)):
                j = int(ious[i].argmax())
                if ious[i, j] >= iou_thr and not taken[j]:
                    taken[j] = True
                    tp[i] = 1
        scores.append(det[:, 4])
        tps.append(tp)
    if num_gts == 0:
        return dict(ap=float('nan'), recall=float('nan'), num_gts=0)
    score = np.concatenate(scores) if scores else np.zeros(0)
    tp = np.concatenate(tps) if tps else np.zeros(0)
    order = np.argsort(-score, kind='stable')
    tp = np.cumsum(tp[order])
    fp = np.cumsum(1 - np.concatenate(tps)[order]) if len(tp) else tp
    recalls = tp / num_gts
    precisions = tp / np.maximum(tp + fp, np.finfo(np.float32).eps)
    ap = float(average_precision(recalls, precisions,
                                 'area')) if len(tp) else 0.0
    return dict(
        ap=ap,
        recall=float(recalls[-1]) if len(tp) else 0.0,
        num_gts=int(num_gts))
