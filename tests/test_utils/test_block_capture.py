"""BlockCapture on stock mmpretrain classifiers: each cut point's input and
output, every other input it took (a Swin block's hw_shape, a Swin stage's
do_downsample keyword), the order they ran in, and one-line user errors for
a module that runs twice or never."""
import numpy as np
import onnxruntime as ort
import pytest
import torch
from mmengine.hub import get_config
from mmengine.registry import init_default_scope

from mmdonna.latency.onnx_export import export_onnx
from mmdonna.registry import MODELS
from mmdonna.utils.block_capture import (BlockCapture, ExtraInputs,
                                         with_extra_inputs)


def classifier(cfg: str, **backbone):
    init_default_scope('mmpretrain')
    model = get_config(cfg).model
    model.backbone.update(backbone)
    model.head.in_channels = 64
    model.head.num_classes = 10
    return MODELS.build(model).eval()


def resnet18():
    return classifier(
        'mmpretrain::_base_/models/resnet18.py',
        base_channels=8,
        stem_channels=8)


def capture(model, paths, **kwargs):
    modules = {p: model.get_submodule(p) for p in paths}
    probe = BlockCapture(model, modules, **kwargs)
    with torch.no_grad():
        return probe, probe(torch.zeros(1, 3, 32, 32))


def test_inputs_outputs_order_and_input_count():
    probe, feats = capture(resnet18(), ['backbone.layer2', 'backbone.layer1'])
    assert probe.order == ['backbone.layer1', 'backbone.layer2']
    x, y = feats['backbone.layer2']
    assert x.shape == (1, 8, 8, 8) and y.shape == (1, 16, 4, 4)
    assert probe.num_inputs == {'backbone.layer1': 1, 'backbone.layer2': 1}
    assert feats['backbone.layer2'].extra.empty


def swin():
    return classifier(
        'mmpretrain::_base_/models/swin_transformer/tiny_224.py',
        arch=dict(embed_dims=8, depths=[1, 1, 1, 1], num_heads=[1] * 4),
        img_size=32,
        window_size=2,
        pad_small_map=True)


def test_a_swin_stage_takes_three_inputs():
    probe, feats = capture(swin(), ['backbone.stages.1'])
    # stage(x, hw_shape, do_downsample=...)
    assert probe.num_inputs == {'backbone.stages.1': 3}
    io = feats['backbone.stages.1']
    assert io[0].dim() == 3  # (N, L, C) tokens
    assert io.extra.args == ((4, 4), )
    assert io.extra.kwargs == {'do_downsample': False}  # out_after_downsample
    assert isinstance(io[1], tuple)  # (x, hw_shape), as returned
    assert io[1][1] == (4, 4) and io.extra_outputs == ()
    # split_tuples (the supernet's): x, and hw_shape passed through
    probe, feats = capture(swin(), ['backbone.stages.1'], split_tuples=True)
    io = feats['backbone.stages.1']
    assert isinstance(io[1], torch.Tensor) and io[1].dim() == 3
    assert io.extra_outputs == ((4, 4), )


def test_swin_blocks_keep_hw_shape_for_their_options():
    model = swin()
    paths = ['backbone.stages.1.blocks.0', 'backbone.stages.2.blocks.0']
    probe, feats = capture(model, paths)
    for path, hw in zip(paths, [(4, 4), (2, 2)]):
        io = feats[path]
        x, y = io  # unpacks as (input, output)
        assert x.shape == y.shape == (1, hw[0] * hw[1], x.shape[-1])
        assert io.extra.args == (hw, ) and io.extra.kwargs == {}
        assert io.extra.describe() == dict(args=[list(hw)], kwargs={})
        # the block run again with them gives the captured output
        with torch.no_grad():
            assert torch.equal(io.extra.call(model.get_submodule(path), x), y)
    assert probe.num_inputs == dict.fromkeys(paths, 2)


@pytest.mark.parametrize('path,words', [
    ('backbone.layer1.0.relu', 'ran twice'),
    ('head.loss_module', 'did not run'),
])
def test_cut_points_that_run_twice_or_never_are_user_errors(path, words):
    # a BasicBlock calls its ReLU twice; the loss does not run in a forward
    with pytest.raises(ValueError, match=words) as e:
        capture(resnet18(), [path, 'backbone.layer3'])
    assert path in str(e.value) and '\n' not in str(e.value)


def test_tensor_extras_are_described_by_shape_and_bound_as_constants():
    # a transformer layer called (x, src_mask=mask): the mask is an extra
    block = torch.nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.0, batch_first=True).eval()
    mask = torch.randn(5, 5)
    extra = ExtraInputs((), dict(src_mask=mask))
    assert extra.describe() == dict(
        args=[],
        kwargs=dict(src_mask=dict(tensor=[5, 5], dtype='torch.float32')))
    back = ExtraInputs.from_description(extra.describe())
    assert back.describe() == extra.describe()  # the same fingerprint
    assert ExtraInputs.from_description(None).empty
    assert with_extra_inputs(block, ExtraInputs.none()) is block
    bound = with_extra_inputs(block, extra)
    x = torch.randn(1, 5, 8)
    # (with grad: torch's no-grad fast path gives NaN with a float mask)
    want = block(x, src_mask=mask).detach()
    torch.testing.assert_close(bound(x).detach(), want)
    assert not torch.allclose(block(x).detach(), want)  # the mask matters
    # exported with one graph input, the mask a constant of the graph
    sess = ort.InferenceSession(
        export_onnx(bound, (1, 5, 8)), providers=['CPUExecutionProvider'])
    assert [i.name for i in sess.get_inputs()] == ['input']
    (got, ) = sess.run(None, {'input': x.numpy()})
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-5)


def test_to_end_refuses_a_cut_point_that_runs_again_after_the_last():
    # RetinaNet's retina_cls conv runs once per FPN level: as the last cut
    # point, a capture that stops after it sees it once; the supernet's
    # probe runs to the end and refuses it
    init_default_scope('mmdet')
    cfg = get_config('mmdet::retinanet/retinanet_r18_fpn_1x_coco.py').model
    cfg.bbox_head.num_classes = 3
    model = MODELS.build(cfg).eval()
    paths = ['backbone.layer3', 'bbox_head.retina_cls']
    modules = {p: model.get_submodule(p) for p in paths}
    probe = BlockCapture(model, modules)
    with torch.no_grad():
        feats = probe(torch.zeros(1, 3, 64, 64))
        assert probe.order == paths and feats['bbox_head.retina_cls']
        with pytest.raises(ValueError, match='ran twice') as e:
            probe(torch.zeros(1, 3, 64, 64), to_end=True)
    assert "'bbox_head.retina_cls'" in str(e.value)


def test_to_end_ignores_an_error_after_every_cut_point_ran():
    model = resnet18()
    model.head.fc = torch.nn.Linear(99, 10)  # fails after the backbone
    paths = ['backbone.layer2', 'backbone.layer3']
    probe = BlockCapture(model, {p: model.get_submodule(p) for p in paths})
    with torch.no_grad():
        feats = probe(torch.zeros(1, 3, 32, 32), to_end=True)
        assert probe.order == paths and set(feats) == set(paths)
        # an error before a cut point ran is the user's
        with pytest.raises(RuntimeError):
            model.backbone.layer3[0].conv1 = torch.nn.Conv2d(7, 7, 3)
            probe(torch.zeros(1, 3, 32, 32), to_end=True)
