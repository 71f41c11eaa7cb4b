"""YOLOP metrics on hand-made boxes and masks with known answers."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData, PixelData

from projects.yolop.yolop.evaluation import (YOLOPMetric, confusion_matrix,
                                             detection_ap, seg_scores)


def test_confusion_matrix_and_segmentation_scores():
    gt = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [255, 255, 1, 1]])
    pred = np.array([[0, 1, 1, 1], [0, 0, 0, 1], [1, 1, 1, 1]])
    conf = confusion_matrix(pred, gt)
    # rows gt, cols pred; the two ignored pixels are not counted
    np.testing.assert_array_equal(conf, [[3, 1], [1, 5]])
    s = seg_scores(conf)
    # background IoU 3/5, foreground IoU 5/7
    assert s['IoU'] == pytest.approx(5 / 7)
    assert s['mIoU'] == pytest.approx((3 / 5 + 5 / 7) / 2)
    assert s['acc'] == pytest.approx(5 / 6)
    assert s['pixel_acc'] == pytest.approx(8 / 10)


def test_detection_ap_of_a_known_ranking():
    gts = [np.array([[0, 0, 10, 10]]), np.array([[20, 20, 40, 40]])]
    dets = [
        # a hit (0.9) and a miss (0.8) in image 0
        np.array([[0, 0, 10, 10, 0.9], [50, 50, 60, 60, 0.8]]),
        # a hit (0.7, IoU 0.81) and a duplicate of it (0.6) in image 1
        np.array([[20, 20, 38, 38, 0.7], [20, 20, 40, 40, 0.6]]),
    ]
    out = detection_ap(dets, gts)
    # PR: (1, .5), (.5, .5), (.67, 1), (.5, 1) -> area .5 * 1 + .5 * 2/3
    assert out['ap'] == pytest.approx(0.5 + 0.5 * 2 / 3, abs=1e-6)
    assert out['recall'] == pytest.approx(1.0)
    # IoU below the threshold: nothing matches
    low = detection_ap([np.array([[0, 0, 10, 4, 0.9]])], gts[:1])
    assert low['ap'] == 0 and low['recall'] == 0
    assert np.isnan(detection_ap([np.zeros((0, 5))], [np.zeros((0, 4))])['ap'])


def _sample(pred_boxes, scores, gt_boxes, pred_da, gt_da, pred_ll, gt_ll):
    s = DetDataSample()
    s.pred_instances = InstanceData(
        bboxes=torch.tensor(pred_boxes, dtype=torch.float32).reshape(-1, 4),
        scores=torch.tensor(scores, dtype=torch.float32),
        labels=torch.zeros(len(scores), dtype=torch.long))
    s.gt_instances = InstanceData(
        bboxes=torch.tensor(gt_boxes, dtype=torch.float32).reshape(-1, 4),
        labels=torch.zeros(len(gt_boxes), dtype=torch.long))
    for name, m in (('pred_da_seg', pred_da), ('gt_da_seg', gt_da),
                    ('pred_ll_seg', pred_ll), ('gt_ll_seg', gt_ll)):
        s.set_field(PixelData(sem_seg=torch.tensor(m)[None]), name)
    return s.to_dict()


def test_metric_reports_all_three_tasks():
    metric = YOLOPMetric()
    metric.dataset_meta = dict(classes=('vehicle', ))
    road = [[0, 0, 0, 0], [1, 1, 1, 1]]
    lane = [[0, 1, 0, 0], [0, 1, 0, 0]]
    samples = [
        _sample([[0, 0, 10, 10]], [0.9], [[0, 0, 10, 10], [20, 20, 30, 30]],
                road, road, lane, lane),
        _sample([], [], [[0, 0, 5, 5]], [[0, 0, 0, 0], [1, 1, 0, 0]], road,
                [[0, 0, 0, 0], [0, 1, 0, 0]], lane),
    ]
    metric.process({}, samples)
    res = metric.evaluate(2)
    # 1 of 3 vehicles found, at precision 1
    assert res['yolop/det_recall'] == pytest.approx(1 / 3)
    assert res['yolop/det_mAP50'] == pytest.approx(1 / 3)
    # drivable: 8 background + 6 road pixels right, 2 road pixels missed:
    # background IoU 8/10, road IoU 6/8
    assert res['yolop/da_mIoU'] == pytest.approx((8 / 10 + 6 / 8) / 2)
    # lanes: 3 of 4 lane pixels found, no false positive
    assert res['yolop/ll_IoU'] == pytest.approx(3 / 4)
    assert res['yolop/ll_acc'] == pytest.approx(3 / 4)


def test_metric_refuses_masks_of_another_frame():
    metric = YOLOPMetric()
    metric.dataset_meta = dict(classes=('vehicle', ))
    bad = _sample([], [], [], [[0, 0]], [[0, 0, 0]], [[0, 0]], [[0, 0]])
    with pytest.raises(ValueError, match='after Resize'):
        metric.process({}, [bad])
