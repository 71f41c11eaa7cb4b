"""The stock SSDLite detector of the shapes configs predicts (validation
runs) with mmdet 3.3.0, whose SSDHead lacks the ``loss_cls`` attribute the
shared prediction code reads (fix 4 of mmdonna.compat)."""
import subprocess
import sys

import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmdonna.detection  # noqa: F401  (the configs' custom_imports)
from mmdonna.registry import MODELS
from .utils import CONFIGS, IMG


def test_stock_ssdlite_predicts_boxes():
    cfg = Config.fromfile(f'{CONFIGS}/ssdlite_mobilenetv2_shapes_teacher.py')
    assert 'mmdonna.detection' in cfg.custom_imports.imports
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model).eval()
    shape = (IMG, IMG)
    sample = DetDataSample(
        metainfo=dict(img_shape=shape, ori_shape=shape, scale_factor=(1, 1)))
    with torch.no_grad():
        (result, ) = model.predict(torch.rand(1, 3, *shape), [sample])
    boxes = result.pred_instances.bboxes
    assert boxes.ndim == 2 and boxes.shape[1] == 4
    assert len(result.pred_instances.scores) == len(boxes)


def test_plain_mmdet_ssd_head_lacks_the_attribute():
    """Without mmdonna.detection, mmdet's SSDHead has no loss_cls (what made
    validation fail): the fix is still needed with the pinned mmdet."""
    out = subprocess.run([
        sys.executable, '-c', 'from mmdet.models.dense_heads import SSDHead;'
        'print(hasattr(SSDHead, "loss_cls"))'
    ],
                         capture_output=True,
                         text=True,
                         check=True).stdout.strip()
    assert out == 'False'
