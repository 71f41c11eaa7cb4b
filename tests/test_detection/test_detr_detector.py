"""A stock query-based detector (a shrunk mmdet DETR R18) builds a
supernet, runs whole with the data samples its transformer needs (image
shapes for the padding mask) and exports to ONNX whole."""
import copy

import torch
from mmengine.hub import get_config
from mmengine.registry import init_default_scope

from mmdonna.export.onnx_export import export_onnx
from mmdonna.registry import MODELS
from mmdonna.supernet.latency_forward import LatencyForward

IMG = 64


def tiny_detr() -> dict:
    """mmdet's stock DETR config at ResNet-18 depth, 8 base channels, one
    32-wide encoder and decoder layer, 10 queries."""
    m = copy.deepcopy(
        get_config('mmdet::detr/detr_r50_8xb2-150e_coco.py').model)
    m.backbone.update(
        depth=18, base_channels=8, init_cfg=None, out_indices=(3, ))
    m.neck.update(in_channels=[64], out_channels=32)
    for part in (m.encoder, m.decoder):
        part.num_layers = 1
        layer = part.layer_cfg
        layer.ffn_cfg.update(embed_dims=32, feedforward_channels=64)
        for attn in ('self_attn_cfg', 'cross_attn_cfg'):
            if attn in layer:
                layer[attn].update(embed_dims=32, num_heads=2)
    m.positional_encoding.num_feats = 16
    m.bbox_head.embed_dims = 32
    m.num_queries = 10
    return m


def test_detr_supernet_whole_call_and_onnx(tmp_path):
    init_default_scope('mmdet')
    model = MODELS.build(
        dict(
            type='mmdonna.DonnaSupernet',
            teacher=tiny_detr(),
            input_shape=(3, IMG, IMG),
            blocks=[
                dict(path=p, options=[dict(type='MBConv', expand=3)])
                for p in ('backbone.layer2', 'backbone.layer3')
            ]))
    assert [b.out_shape for b in model.space.blocks] == [(16, 8, 8),
                                                         (32, 4, 4)]
    whole = LatencyForward(model.assemble([0, 0])).eval()
    assert whole.scope == 'model'
    with torch.no_grad():
        cls, box = whole(torch.zeros(1, 3, IMG, IMG))
    assert cls.shape[-2:] == (10, 81) and box.shape[-2:] == (10, 4)
    diff = export_onnx(model.teacher, (1, 3, IMG, IMG),
                       str(tmp_path / 'detr.onnx'))
    assert diff < 1e-3
