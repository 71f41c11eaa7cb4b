"""The pinned OpenMMLab stack builds real models from the configs each package
ships, runs them on CPU, and runs a compiled mmcv op."""
import torch
from mmengine.hub import get_config
from mmengine.registry import init_default_scope


def _build(cfg_path: str, scope: str):
    cfg = get_config(cfg_path)
    init_default_scope(scope)
    from mmengine.registry import MODELS
    model = MODELS.build(cfg.model)
    model.eval()
    return model


def test_mmpretrain_mobilenet_v2_forward():
    import mmpretrain  # noqa: F401
    model = _build('mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py',
                   'mmpretrain')
    with torch.no_grad():
        out = model(torch.randn(2, 3, 64, 64), mode='tensor')
    assert out.shape == (2, 1000)


def test_mmdet_retinanet_forward():
    import mmdet  # noqa: F401
    model = _build('mmdet::retinanet/retinanet_r18_fpn_1x_coco.py', 'mmdet')
    with torch.no_grad():
        cls_scores, bbox_preds = model(
            torch.randn(1, 3, 128, 128), mode='tensor')
    # 5 FPN levels, 9 anchors x 80 classes / 9 anchors x 4 deltas
    assert len(cls_scores) == 5
    assert cls_scores[0].shape == (1, 9 * 80, 16, 16)
    assert bbox_preds[-1].shape == (1, 9 * 4, 1, 1)


def test_mmagic_edsr_forward():
    import mmagic.models  # noqa: F401
    model = _build('mmagic::edsr/edsr_x2c64b16_1xb16-300k_div2k.py', 'mmagic')
    with torch.no_grad():
        out = model(torch.randn(1, 3, 24, 24), mode='tensor')
    assert out.shape == (1, 3, 48, 48)


def test_mmcv_compiled_nms():
    from mmcv.ops import nms
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]],
                         dtype=torch.float32)
    scores = torch.tensor([0.9, 0.8, 0.7])
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2]
    assert dets.shape == (2, 5)
