"""YOLOP from mm parts: build, the three task losses, prediction."""
import pytest
import torch

from mmdonna.registry import MODELS
from .yolop_test_utils import build_model, fake_batch, model_cfg


def test_yolop_uses_mmdet_parts_and_cuts_in_the_encoder():
    model = build_model()
    assert type(model.backbone).__name__ == 'CSPDarknet'
    assert type(model.neck).__name__ == 'YOLOXPAFPN'
    assert type(model.bbox_head).__name__ == 'YOLOXHead'
    names = dict(model.named_modules())
    for stage in ('stage1', 'stage2', 'stage3', 'stage4'):
        assert f'backbone.{stage}' in names


def test_loss_has_all_three_tasks_and_trains():
    torch.manual_seed(0)
    model = build_model()
    model.train()
    inputs, samples = fake_batch()
    losses = model(inputs, samples, mode='loss')
    for key in ('loss_cls', 'loss_bbox', 'loss_obj', 'loss_da_seg',
                'loss_ll_seg', 'loss_ll_overlap'):
        assert key in losses, sorted(losses)
        assert torch.isfinite(losses[key]) and losses[key] > 0
    total = sum(losses.values())
    total.backward()
    for head in ('bbox_head', 'da_seg_head', 'll_seg_head', 'backbone'):
        grads = [
            p.grad for p in getattr(model, head).parameters()
            if p.grad is not None
        ]
        assert grads and any(g.abs().sum() > 0 for g in grads), head


def test_task_weights_scale_each_task_alone():
    cfg = model_cfg()
    inputs, samples = fake_batch()
    torch.manual_seed(0)
    base = build_model(cfg)
    base.train()
    cfg['task_weights'] = dict(det=1.0, da_seg=3.0, ll_seg=0.0)
    torch.manual_seed(0)
    weighted = build_model(cfg)
    weighted.load_state_dict(base.state_dict())
    weighted.train()
    a = base(inputs, samples, mode='loss')
    b = weighted(inputs, samples, mode='loss')
    torch.testing.assert_close(b['loss_cls'], a['loss_cls'])
    torch.testing.assert_close(b['loss_da_seg'], 3 * a['loss_da_seg'])
    assert b['loss_ll_seg'] == 0 and a['loss_ll_seg'] > 0
    with pytest.raises(KeyError, match='unknown tasks'):
        build_model(dict(cfg, task_weights=dict(lane=1.0)))


def test_predict_and_tensor_modes():
    model = build_model().eval()
    inputs, samples = fake_batch(h=64, w=96)
    with torch.no_grad():
        out = model(inputs, mode='tensor')
        preds = model(inputs, samples, mode='predict')
    # 3 levels x (cls, bbox, obj) + 2 segmentation logits, no NMS
    assert len(out) == 11
    assert out[-2].shape == (2, 2, 64, 96) and out[-1].shape == (2, 2, 64, 96)
    assert out[0].shape == (2, 1, 8, 12)  # stride-8 class scores
    for p in preds:
        assert p.pred_da_seg.sem_seg.shape == (1, 64, 96)
        assert p.pred_ll_seg.sem_seg.shape == (1, 64, 96)
        assert set(p.pred_da_seg.sem_seg.unique().tolist()) <= {0, 1}
        assert p.pred_instances.bboxes.shape[1] == 4
        assert len(p.pred_instances.scores) <= 100


def test_seg_head_rescales_to_the_original_image():
    model = build_model().eval()
    inputs, samples = fake_batch(n=1, h=64, w=96)
    # the image was 120 x 200, resized by 0.48 (to 58 x 96) and padded
    samples[0].set_metainfo(
        dict(ori_shape=(120, 200), scale_factor=(0.48, 0.48)))
    with torch.no_grad():
        (label, ) = model.da_seg_head.predict(
            model.extract_feat(inputs), samples, rescale=True)
    assert label.shape == (120, 200)


def test_seg_head_refuses_a_wrong_task():
    cfg = model_cfg()
    cfg['da_seg_head']['task'] = 'll'
    with pytest.raises(ValueError, match="task='da'"):
        build_model(cfg)
    with pytest.raises(ValueError, match='use .da.'):
        MODELS.build(
            dict(type='mmdonna.YOLOPSegHead', task='x', in_channels=8))
