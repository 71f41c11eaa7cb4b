"""YOLOP exports to ONNX as the latency stages see it: whole model, three
tasks' raw outputs, no NMS."""
import numpy as np
import onnx
import onnxruntime as ort
import torch

from mmdonna.export import TensorForward
from mmdonna.latency.onnx_export import export_onnx
from mmdonna.registry import TASK_UTILS
from .yolop_test_utils import build_model

SHAPE = (1, 3, 96, 160)


def test_onnx_export_matches_torch_and_has_no_nms():
    torch.manual_seed(0)
    model = build_model().eval()
    # a fresh wrapper is in train mode, which export_onnx restores
    # afterwards (to the whole model): keep it in eval mode
    blob = export_onnx(TensorForward(model).eval(), SHAPE)
    assert not model.training
    graph = onnx.load_from_string(blob).graph
    ops = {n.op_type for n in graph.node}
    assert 'NonMaxSuppression' not in ops
    assert len(graph.output) == 11
    x = torch.randn(*SHAPE, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = model(x, mode='tensor')
    sess = ort.InferenceSession(blob, providers=['CPUExecutionProvider'])
    got = sess.run(None, {'input': x.numpy()})
    assert len(got) == len(ref)
    for a, b in zip(got, ref):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-3, atol=1e-4)
    # segmentation logits at the input resolution
    assert got[-1].shape == (1, 2, 96, 160)


def test_whole_model_latency_is_measurable():
    model = build_model().eval()
    est = TASK_UTILS.build(
        dict(
            type='mmdonna.OnnxRuntimeEstimator',
            clock='thread_cpu',
            warmup=1,
            repeats=3))
    res = est.measure(TensorForward(model).eval(), SHAPE)
    assert res['ok'], res
    assert res['min_ms'] > 0
