"""Cut points that return a tuple whose other items pass inputs through: a
stock mmpretrain Swin stage (``SwinBlockSequence``, shrunk) is called
``stage(x, hw_shape, do_downsample=False)`` and returns ``(x, hw_shape)``.
The supernet keeps which input each item is (``BlockSpec.extra_outputs``),
BKD, the library and the LUT use the main output, and an option of an
assembled model or an exported ``DonnaBackbone`` returns ``(y, hw_shape)``
like the stage (hooks: no wrapper module) and keeps the stage's
``downsample``, which ``SwinTransformer`` runs after the stage
(``BlockSpec.teacher_children``). Any other tuple is refused in one
line."""
import numpy as np
import onnxruntime as ort
import pytest
import torch

from mmdonna.export.subnet_export import (arch_spec, assemble_weights,
                                          student_config)
from mmdonna.latency import FlopsEstimator, LatencyLUT
from mmdonna.latency.onnx_export import export_onnx
from mmdonna.library import score_block_library
from mmdonna.registry import MODELS
from mmdonna.search_space import SearchSpace, SearchSpaceError
from mmdonna.search_space.extra_inputs import extra_outputs_of
from mmdonna.utils.block_capture import ExtraInputs, with_extra_inputs
from .bkd_checks import assert_bkd_step_trains_every_option
from .test_swin_supernet import TYPES, _data, build_swin_supernet, swin_teacher

PATHS = ['backbone.stages.1', 'backbone.stages.2']


@pytest.fixture(scope='module')
def supernet():
    return build_swin_supernet(PATHS)


def test_a_swin_stage_is_a_cut_point_passing_hw_shape_through(supernet):
    (b1, b2) = supernet.space.blocks
    assert (b1.in_shape, b1.out_shape) == ((16, 32), (16, 32))
    assert (b2.in_shape, b2.out_shape) == ((4, 64), (4, 64))
    assert b1.extra_inputs.args == ((4, 4), )
    assert b1.extra_inputs.kwargs == {'do_downsample': False}
    # its second output is its first extra input, hw_shape
    assert b1.extra_outputs == b2.extra_outputs == [['args', 0]]
    # SwinTransformer runs each stage's downsample after the stage: an
    # option keeps it
    assert b1.teacher_children == b2.teacher_children == ['downsample']
    assert [o['type'] for o in b1.options] == TYPES
    d = supernet.space.to_dict()
    assert d['blocks'][0]['extra_outputs'] == [['args', 0]]
    again = SearchSpace.from_dict(d)
    assert again.blocks[0].extra_outputs == [['args', 0]]
    assert again.fingerprint() == supernet.space.fingerprint()
    # a one-output block's description (and fingerprint) is as before
    again.blocks[0].extra_outputs = []
    assert 'extra_outputs' not in again.blocks[0].to_dict()


def test_bkd_on_the_main_output(supernet):
    inputs = supernet.data_preprocessor(_data(), True)['inputs']
    feats = supernet.teacher_features(inputs)
    for b in supernet.space.blocks:
        io = feats[b.path]
        x, y = io
        assert isinstance(y, torch.Tensor) and y.shape == (4, *b.out_shape)
        assert io.extra_outputs == (b.extra_inputs.args[0], )
        stage = supernet.teacher_block(b.path)
        opts = supernet.block_options(b.path)
        with torch.no_grad():
            want, hw = io.extra.call(stage, x)
            assert hw == b.extra_inputs.args[0]
            # the teacher option reproduces the stage's main output
            assert torch.equal(opts(x, len(opts) - 1, io.extra), want)
            assert torch.equal(want, y)
            for j in opts.trainable:  # the others give one tensor
                assert opts(x, j, io.extra).shape == y.shape
    assert_bkd_step_trains_every_option(supernet, inputs)


@pytest.mark.parametrize('code', [[2, 4], [6, 7], [7, 7]])
def test_assembled_and_exported_backbone_agree(supernet, code):
    net = supernet.assemble(code).eval()
    spec = arch_spec(supernet.space, code, len('backbone.'))
    assert spec['stages.1']['extra_outputs'] == [['args', 0]]
    assert spec['stages.2']['teacher_children'] == ['downsample']
    cfg = student_config(swin_teacher(), supernet.space, code, None,
                         'mmpretrain')
    student = MODELS.build(cfg).eval()
    weights = assemble_weights(student, supernet.teacher, supernet.space, code,
                               supernet.export_option)
    student.load_state_dict(weights, strict=True)
    base = student.backbone.base
    for path, j in zip(PATHS, code):
        rel = path[len('backbone.'):]
        module = base.get_submodule(rel)
        assert set(supernet.export_option(path, j).state_dict()) == set(
            module.state_dict())
        assert type(module).__name__ == (
            TYPES[j] if TYPES[j] != 'Teacher' else 'SwinBlockSequence')
        # called as the stage is, it returns (y, hw_shape) like the stage
        x = torch.randn(2, *supernet.space.blocks[PATHS.index(path)].in_shape)
        extra = supernet.space.blocks[PATHS.index(path)].extra_inputs
        with torch.no_grad():
            out = extra.call(module, x)
        assert isinstance(out, tuple) and len(out) == 2
        assert out[1] == extra.args[0] and out[0].shape == x.shape
        # the teacher's downsample, with its weights
        torch.testing.assert_close(
            module.downsample.state_dict(),
            supernet.teacher_block(path).downsample.state_dict())
    inputs = supernet.data_preprocessor(_data(2, 1), False)['inputs']
    with torch.no_grad():
        got = student(inputs, mode='tensor')
        torch.testing.assert_close(got, net(inputs, mode='tensor'))
        teacher = supernet.teacher(inputs, mode='tensor')
    if code == [7, 7]:  # the teacher code is the teacher
        torch.testing.assert_close(got, teacher)
    else:
        assert not torch.allclose(got, teacher)


def test_library_scores_every_option(supernet, tmp_path):
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
        assert entries[-1]['nsr_mean'] == 0.0  # the teacher's own stage
        assert all(e['flops'] > 0 for e in entries)


def test_an_option_and_the_teacher_stage_export_to_onnx(supernet):
    spec = supernet.space.blocks[0]
    for j in (1, 7):  # window attention, the teacher's stage
        module = with_extra_inputs(
            supernet.export_option(spec.path, j), spec.extra_inputs).eval()
        onnx = export_onnx(module, (1, *spec.in_shape))
        sess = ort.InferenceSession(onnx, providers=['CPUExecutionProvider'])
        assert len(sess.get_outputs()) == 1  # the main output only
        x = torch.randn(1, *spec.in_shape)
        with torch.no_grad():
            want = module(x)
        assert isinstance(want, torch.Tensor)  # the main output
        (got, ) = sess.run(None, {'input': x.numpy()})
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-3, atol=1e-4)


def test_a_stage_that_changes_hw_shape_is_refused_in_one_line():
    # out_after_downsample: the stage downsamples and returns the new
    # hw_shape, equal to none of its inputs
    teacher = swin_teacher()
    teacher['backbone']['out_after_downsample'] = True
    with pytest.raises(SearchSpaceError) as e:
        build_swin_supernet(['backbone.stages.1'], teacher=teacher)
    msg = str(e.value)
    assert "model.blocks[0].path='backbone.stages.1' outputs a tuple" in msg
    assert 'equal to none of its inputs' in msg
    assert "'backbone.stages.1.blocks.0'" in msg  # where to cut instead
    assert '\n' not in msg


def test_a_tensor_among_the_other_items_is_refused_in_one_line():
    extra = ExtraInputs((torch.zeros(2), (4, 4)), {})
    where = "model.blocks[0].path='x'"
    assert extra_outputs_of(((4, 4), ), extra, where) == [['args', 1]]
    kw = ExtraInputs((), dict(hw=(4, 4)))
    assert extra_outputs_of(((4, 4), ), kw, where) == [['kwargs', 'hw']]
    for items, what in [((torch.zeros(2), ), 'is a tensor'),
                        (((2, 2), ), 'equal to none of its inputs')]:
        with pytest.raises(SearchSpaceError) as e:
            extra_outputs_of(items, extra, where)
        msg = str(e.value)
        assert msg.startswith(f'{where} outputs a tuple of 2 whose item 1')
        assert what in msg and '\n' not in msg


def test_latency_lut_times_each_option_of_a_stage(supernet):
    # fresh options, called as the stage is (do_downsample included)
    lut = LatencyLUT.build(
        supernet.teacher,
        supernet.space,
        FlopsEstimator(), (3, 32, 32),
        calibrate=0,
        progress=False)
    for b in lut.data['blocks']:
        assert b['teacher']['ok'] and b['teacher']['flops'] > 0
        assert all(r['ok'] for r in b['options']), b['options']
        assert b['options'][-1]['flops'] == b['teacher']['flops']
