"""Cut points with several inputs on a stock mmpretrain Swin-T
(``SwinTransformer``, shrunk): its blocks are called ``block(x, hw_shape)``
on (N, L, C) tokens. The supernet records ``hw_shape`` with each block,
every option gets it (the window-attention and conv-mixer families use it,
the others ignore it), BKD trains every option, the library scores them,
the latency LUT times them alone with ``hw_shape`` as a constant, and the
assembled network and the exported ``DonnaBackbone`` agree with the BKD
weights loaded strictly. Swin stages as cut points (they return
``(x, hw_shape)``): test_tuple_outputs.py."""
import numpy as np
import onnxruntime as ort
import pytest
import torch
from mmengine.hub import get_config
from mmengine.registry import init_default_scope

from mmdonna.export.subnet_export import (arch_spec, assemble_weights,
                                          student_config)
from mmdonna.latency import FlopsEstimator, LatencyLUT
from mmdonna.latency.onnx_export import export_onnx
from mmdonna.library import module_cost, score_block_library
from mmdonna.registry import MODELS
from mmdonna.search_space import SearchSpace, option_set
from mmdonna.supernet.latency_forward import LatencyForward
from mmdonna.utils.block_capture import with_extra_inputs
from .bkd_checks import assert_bkd_step_trains_every_option

PATHS = ['backbone.stages.1.blocks.0', 'backbone.stages.2.blocks.0']
OPTIONS = option_set('window_tokens')
TYPES = [
    'TokenWindowAttention', 'TokenWindowAttention', 'TokenWindowAttention',
    'TokenWindowAttention', 'TokenConvMixer', 'TokenConvMixer', 'TokenMLP',
    'Teacher'
]


def swin_teacher() -> dict:
    """The stock Swin-T model as the model-zoo sweep shrinks it: 16
    channels, one block per stage, 2 x 2 windows, 32 px images (an 8 x 8
    patch grid; stage 1 runs on 4 x 4 tokens of 32 channels, stage 2 on
    2 x 2 of 64); nothing pretrained."""
    model = get_config(
        'mmpretrain::swin_transformer/swin-tiny_16xb64_in1k.py').model
    model = model.to_dict()
    model.pop('init_cfg', None)
    model.pop('train_cfg', None)  # Mixup/CutMix batch augments
    model['backbone'].update(
        arch=dict(embed_dims=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2]),
        img_size=32,
        window_size=2,
        pad_small_map=True)
    model['backbone'].pop('init_cfg', None)
    model['head'].update(in_channels=128, num_classes=10)
    return model


def build_swin_supernet(paths=PATHS, **kwargs):
    torch.manual_seed(0)  # the same initial weights whatever ran before
    init_default_scope('mmpretrain')
    cfg = dict(
        type='mmdonna.DonnaSupernet',
        teacher=swin_teacher(),
        data_preprocessor=dict(num_classes=10, mean=[0] * 3, std=[1] * 3),
        input_shape=(3, 32, 32),
        blocks=[dict(path=p, options=OPTIONS) for p in paths],
        train_options='all')
    cfg.update(kwargs)
    return MODELS.build(cfg)


@pytest.fixture(scope='module')
def supernet():
    return build_swin_supernet()


def _data(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return dict(inputs=[
        torch.randint(0, 255, (3, 32, 32), generator=g).byte()
        for _ in range(n)
    ])


def test_swin_blocks_keep_hw_shape_as_an_extra_input(supernet):
    (b1, b2) = supernet.space.blocks
    assert (b1.in_shape, b1.out_shape) == ((16, 32), (16, 32))
    assert (b2.in_shape, b2.out_shape) == ((4, 64), (4, 64))
    assert b1.layout == b2.layout == 'tokens'
    assert b1.extra_inputs.args == ((4, 4), ) and not b1.extra_inputs.kwargs
    assert b2.extra_inputs.args == ((2, 2), )
    assert [o['type'] for o in b1.options] == TYPES
    # the extra input keys the space; it survives a JSON round trip
    d = b1.to_dict()
    assert d['extra_inputs'] == dict(args=[[4, 4]], kwargs={})
    again = SearchSpace.from_dict(supernet.space.to_dict())
    assert again.fingerprint() == supernet.space.fingerprint()
    other = SearchSpace.from_dict(supernet.space.to_dict())
    other.blocks[0].extra_inputs = other.blocks[0].extra_inputs._replace(
        args=([2, 8], ))
    assert other.fingerprint() != supernet.space.fingerprint()


def test_bkd_trains_every_option_with_hw_shape(supernet):
    inputs = supernet.data_preprocessor(_data(), True)['inputs']
    feats = supernet.teacher_features(inputs)
    for b in supernet.space.blocks:
        io = feats[b.path]
        x, y = io
        assert x.shape == y.shape == (4, *b.in_shape)
        assert io.extra.args == b.extra_inputs.args
        opts = supernet.block_options(b.path)
        # the teacher option is the Swin block itself, called (x, hw_shape)
        with torch.no_grad():
            assert torch.equal(opts(x, len(opts) - 1, io.extra), y)
    assert_bkd_step_trains_every_option(supernet, inputs)


def test_window_options_use_hw_shape_the_others_ignore_it(supernet):
    opts = supernet.block_options(PATHS[0])
    x = torch.randn(2, 16, 32)
    extra = supernet.space.blocks[0].extra_inputs
    other = extra._replace(args=((2, 8), ))  # the same 16 tokens, 2 x 8
    with torch.no_grad():
        for j in opts.trainable:
            moved = not torch.allclose(
                opts(x, j, extra), opts(x, j, other), atol=1e-6)
            assert moved == (TYPES[j] != 'TokenMLP'), TYPES[j]
            # a one-input family runs on x alone
            if TYPES[j] == 'TokenMLP':
                torch.testing.assert_close(
                    opts(x, j, extra),
                    opts.option_modules(j)[0](x))


@pytest.mark.parametrize('code', [[2, 4], [6, 7], [7, 5]])
def test_assembled_and_exported_backbone_agree(supernet, code):
    net = supernet.assemble(code).eval()
    spec = arch_spec(supernet.space, code, len('backbone.'))
    assert spec['stages.1.blocks.0']['layout'] == 'tokens'
    cfg = student_config(swin_teacher(), supernet.space, code, None,
                         'mmpretrain')
    student = MODELS.build(cfg).eval()
    weights = assemble_weights(student, supernet.teacher, supernet.space, code,
                               supernet.export_option)
    student.load_state_dict(weights, strict=True)
    base = student.backbone.base
    for path, j in zip(PATHS, code):
        rel = path[len('backbone.'):]
        exported = supernet.export_option(path, j)
        # the same keys wherever the option is built
        assert set(exported.state_dict()) == set(
            base.get_submodule(rel).state_dict())
        assert type(base.get_submodule(rel)).__name__ == (
            TYPES[j] if TYPES[j] != 'Teacher' else 'SwinBlock')
    inputs = supernet.data_preprocessor(_data(2, 1), False)['inputs']
    with torch.no_grad():
        torch.testing.assert_close(
            student(inputs, mode='tensor'), net(inputs, mode='tensor'))


def test_library_scores_and_costs_every_option(supernet, tmp_path):
    batches = [_data(2, s) for s in (2, 3)]
    lib = score_block_library(
        supernet,
        batches,
        str(tmp_path / 'block_library.json'),
        calib_batches=batches[:1])
    for b in supernet.space.blocks:
        entries = lib.blocks[b.path]['options']
        assert [e['option']['type'] for e in entries] == TYPES
        assert all(np.isfinite(e['nsr_mean']) for e in entries)
        assert entries[-1]['nsr_mean'] == 0.0  # the teacher's own block
        assert all(e['flops'] > 0 for e in entries)
        assert lib.blocks[b.path]['teacher']['flops'] == entries[-1]['flops']


def test_one_option_exports_to_onnx_with_hw_shape_as_a_constant(supernet):
    spec = supernet.space.blocks[0]
    for j in (1, 4, 7):  # window attention (padded), conv mixer, teacher
        module = with_extra_inputs(
            supernet.export_option(spec.path, j), spec.extra_inputs).eval()
        onnx = export_onnx(module, (1, *spec.in_shape))
        sess = ort.InferenceSession(onnx, providers=['CPUExecutionProvider'])
        assert [i.name for i in sess.get_inputs()] == ['input']
        x = torch.randn(1, *spec.in_shape)
        with torch.no_grad():
            want = module(x).numpy()
        (got, ) = sess.run(None, {'input': x.numpy()})
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)
        assert module_cost(module.module, spec.in_shape,
                           spec.extra_inputs)['flops'] > 0


def test_latency_lut_times_each_option_alone_with_hw_shape(supernet):
    lut = LatencyLUT.build(
        supernet.teacher,
        supernet.space,
        FlopsEstimator(), (3, 32, 32),
        calibrate=0,
        progress=False)
    for spec, b in zip(supernet.space.blocks, lut.data['blocks']):
        assert b['teacher']['ok'] and b['teacher']['flops'] > 0
        assert all(r['ok'] for r in b['options']), b['options']
        # a window larger than the grid shrinks to it (as in Swin): on
        # stage 2's 2 x 2 grid windows 2 and 4 cost the same
        flops = [r['flops'] for r in b['options']]
        assert flops[-1] == b['teacher']['flops']
        if spec.in_shape == (4, 64):
            assert flops[0] == flops[1]
        else:  # a 4 x 4 window on the 4 x 4 grid attends over 16 tokens
            assert flops[1] > flops[0]
    assert np.isfinite(lut.predict([0, 0]))


def test_an_assembled_swin_exports_whole_to_onnx(supernet):
    # hardware in the loop and the LUT's calibration time whole networks
    net = LatencyForward(supernet.assemble([1, 5]).eval())
    onnx = export_onnx(net, (1, 3, 32, 32))
    sess = ort.InferenceSession(onnx, providers=['CPUExecutionProvider'])
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        want = net(x)
    want = want[-1] if isinstance(want, (tuple, list)) else want
    got = sess.run(None, {'input': x.numpy()})[-1]
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-3, atol=1e-4)
