"""YOLOPMetric: detection, drivable area and lane lines in one pass."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from mmdonna.registry import METRICS
from .functional import confusion_matrix, detection_ap, seg_scores


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)


@METRICS.register_module()
class YOLOPMetric(BaseMetric):
    """The metrics YOLOP reports, from :class:`YOLOP` predictions:

    * ``det_mAP50``: VOC-style AP at IoU 0.5, averaged over the classes
      that have ground truth; ``det_recall``: recall at IoU 0.5 over all
      kept boxes (averaged the same way);
    * ``da_mIoU``: drivable-area mean IoU over background and drivable;
    * ``ll_IoU``: lane-line IoU (the lane class); ``ll_acc``: YOLOP's lane
      accuracy, the share of lane pixels predicted as lane (a lane-pixel
      accuracy; overall pixel accuracy is ~99 % on thin lanes and says
      nothing).

    Predicted boxes and masks are compared with the ground truth of the
    data sample (``gt_instances``, ``gt_da_seg``, ``gt_ll_seg``) in the
    same coordinates: load annotations after ``Resize`` in test pipelines
    so both are in the original image's frame, as mmdet's VOC pipelines do.

    Args:
        iou_thr (float): Box IoU threshold. Defaults to 0.5.
        collect_device (str): As in mmengine. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to 'yolop'.
    """

    default_prefix: Optional[str] = 'yolop'

    def __init__(self,
                 iou_thr: float = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.iou_thr = iou_thr

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = sample['pred_instances']
            gt = sample['gt_instances']
            ignore = _np(
                sample.get('ignored_instances',
                           {}).get('bboxes', np.zeros((0, 4))))
            result = dict(
                pred_bboxes=_np(pred['bboxes']).reshape(-1, 4),
                pred_scores=_np(pred['scores']).reshape(-1),
                pred_labels=_np(pred['labels']).reshape(-1),
                gt_bboxes=_np(gt['bboxes']).reshape(-1, 4),
                gt_labels=_np(gt['labels']).reshape(-1),
                num_ignored=len(ignore))
            for task in ('da', 'll'):
                p = _np(sample[f'pred_{task}_seg']['sem_seg'])[0]
                g = _np(sample[f'gt_{task}_seg']['sem_seg'])[0]
                if p.shape != g.shape:
                    raise ValueError(
                        f'pred_{task}_seg is {p.shape} but gt_{task}_seg '
                        f'{g.shape} for {sample.get("img_path")}: load the '
                        f'annotations after Resize/Pad in the test pipeline')
                result[f'{task}_conf'] = confusion_matrix(p, g)
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        classes = (self.dataset_meta or {}).get('classes', ('vehicle', ))
        aps, recalls = [], []
        for c in range(len(classes)):
            dets, gts = [], []
            for r in results:
                keep = r['pred_labels'] == c
                dets.append(
                    np.concatenate(
                        [r['pred_bboxes'][keep], r['pred_scores'][keep, None]],
                        1))
                gts.append(r['gt_bboxes'][r['gt_labels'] == c])
            out = detection_ap(dets, gts, self.iou_thr)
            if out['num_gts']:
                aps.append(out['ap'])
                recalls.append(out['recall'])
        metrics = dict(
            det_mAP50=float(np.mean(aps)) if aps else 0.0,
            det_recall=float(np.mean(recalls)) if recalls else 0.0)
        da = seg_scores(sum(r['da_conf'] for r in results))
        ll = seg_scores(sum(r['ll_conf'] for r in results))
        metrics.update(da_mIoU=da['mIoU'], ll_IoU=ll['IoU'], ll_acc=ll['acc'])
        return metrics
