import json

import numpy as np
import pytest
import torch

from mmdonna.library import BlockLibrary, score_block_library
from mmdonna.search_space import TEACHER_OPTION, SearchSpace
from mmdonna.utils.io import ArtifactError
from ..test_supernet.test_donna_supernet import TEACHERS, build_supernet


@pytest.fixture(scope='module')
def supernet():
    torch.manual_seed(0)
    cfg, paths = TEACHERS['resnet18']
    return build_supernet(cfg, paths)


def _batches(n=4, bs=3):
    g = torch.Generator().manual_seed(1)
    return [
        dict(inputs=[
            torch.randint(0, 255, (3, 64, 64), generator=g).byte()
            for _ in range(bs)
        ]) for _ in range(n)
    ]


class _Interrupted(Exception):
    pass


def _dying(batches, after):
    for i, b in enumerate(batches):
        if i == after:
            raise _Interrupted
        yield b


def test_score_save_load_and_resume(supernet, tmp_path):
    out = str(tmp_path / 'block_library.json')
    batches = _batches()
    lib = score_block_library(supernet, batches, out)
    assert lib.num_samples == 12
    loaded = BlockLibrary.load(out, supernet.space)
    for p in supernet.space.paths:
        np.testing.assert_allclose(loaded.nsr(p), lib.nsr(p))
        for e in loaded.blocks[p]['options']:
            assert e['params'] > 0 and e['flops'] > 0
            # the teacher's own block reproduces the teacher: NSR 0
            assert (e['nsr_mean'] == 0) == (e['option'] == TEACHER_OPTION)
        assert loaded.blocks[p]['teacher']['params'] > 0

    # killed half-way: the partial file is resumed and gives the same numbers
    out2 = str(tmp_path / 'resumed.json')
    with pytest.raises(_Interrupted):
        score_block_library(supernet, _dying(batches, 2), out2)
    partial = json.load(open(out2 + '.partial'))
    assert partial['batches_done'] == 2
    seen = []

    def counting():
        for i, b in enumerate(batches):
            seen.append(i)
            yield b

    resumed = score_block_library(supernet, counting(), out2)
    for p in supernet.space.paths:
        np.testing.assert_allclose(resumed.nsr(p), lib.nsr(p), rtol=1e-6)


def test_refuses_corrupt_foreign_and_incomplete_files(supernet, tmp_path):
    out = str(tmp_path / 'lib.json')
    score_block_library(supernet, _batches(1), out)
    data = json.load(open(out))

    corrupt = tmp_path / 'corrupt.json'
    corrupt.write_text(open(out).read()[:100])
    with pytest.raises(ArtifactError, match='corrupt') as e:
        BlockLibrary.load(str(corrupt), supernet.space)
    assert '\n' not in str(e.value)

    other = SearchSpace.from_config(
        [dict(path='backbone.layer1', options=[dict(type='MBConv')])])
    with pytest.raises(ArtifactError, match='another config'):
        BlockLibrary.load(out, other)

    missing = dict(data)
    missing['blocks'] = json.loads(json.dumps(data['blocks']))
    missing['blocks']['backbone.layer1']['options'].pop()
    (tmp_path / 'missing.json').write_text(json.dumps(missing))
    with pytest.raises(ArtifactError, match='scored options'):
        BlockLibrary.load(str(tmp_path / 'missing.json'), supernet.space)

    foreign = tmp_path / 'foreign.json'
    foreign.write_text(json.dumps({'format': 'something.else'}))
    with pytest.raises(ArtifactError, match='format'):
        BlockLibrary.load(str(foreign))


def _scramble_bn(model):
    """Stale statistics, as BKD leaves an option sampled on few steps."""
    for b in model.space.blocks:
        opts = model.block_options(b.path)
        for j in opts.trainable:
            for m in opts.option_modules(j)[0].modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.fill_(3.0)
                    m.running_var.fill_(0.05)


def test_bn_recalibration_before_scoring(tmp_path):
    """Every option is scored with BN statistics of its own on training
    batches of the teacher's block inputs, whatever BKD left behind; for
    weight-shared options too (each gets the statistics it would have
    alone)."""
    from mmdonna.distill.nsr_loss import NSRAccumulator
    from mmdonna.utils.bn_calibration import recalibrate_bn
    cfg_path, paths = TEACHERS['mobilenet_v2']
    torch.manual_seed(0)
    model = build_supernet(
        cfg_path,
        paths[:1],
        blocks=[
            dict(
                path=paths[0],
                weight_sharing=True,
                options=[dict(type='MBConv', kernel=[3, 5], expand=[3, 6])])
        ])
    calib, held_out = _batches(3, 4), _batches(2, 3)
    _scramble_bn(model)
    stale = score_block_library(model, held_out, str(tmp_path / 'a.json'))
    assert not stale.bn_recalibrated
    cal = score_block_library(
        model, held_out, str(tmp_path / 'b.json'), calib_batches=calib)
    assert cal.bn_recalibrated
    trainable = model.block_options(paths[0]).trainable
    assert (cal.nsr(paths[0])[trainable]
            < stale.nsr(paths[0])[trainable]).all()
    # independent of what was there before: scrambled again, same library
    _scramble_bn(model)
    again = score_block_library(
        model, held_out, str(tmp_path / 'c.json'), calib_batches=calib)
    np.testing.assert_allclose(again.nsr(paths[0]), cal.nsr(paths[0]))
    # each weight-shared option as if recalibrated alone
    model.eval()
    opts = model.block_options(paths[0])

    def inputs(batches):
        return [
            model.teacher_features(
                model.data_preprocessor(b, False)['inputs'])[paths[0]]
            for b in batches
        ]

    calib_in, held = inputs(calib), inputs(held_out)
    for j in trainable:
        alone = opts.export(j).eval()
        recalibrate_bn(alone, lambda xy: alone(xy[0]), calib_in)
        acc = NSRAccumulator('channel')
        with torch.no_grad():
            for x, y in held:
                acc.update(alone(x), y)
        assert acc.value() == pytest.approx(cal.nsr(paths[0])[j], rel=1e-4), j


def test_module_cost_counts_fused_attention():
    """A stock DeiT layer (mmpretrain's MultiheadAttention runs
    ``scaled_dot_product_attention``) costs what a TokenAttention with the
    same widths costs, whose attention matmuls are spelled out: 2 x L x L x C
    multiply-adds more than the layer without attention."""
    from mmpretrain.models.backbones.vision_transformer import \
        TransformerEncoderLayer

    from mmdonna.library import module_cost
    from mmdonna.search_space import build_option
    layer = TransformerEncoderLayer(
        embed_dims=16, num_heads=2, feedforward_channels=32)
    option = build_option(
        dict(type='TokenAttention', num_heads=2, mlp_ratio=2), (17, 16),
        (17, 16))
    teacher, student = module_cost(layer,
                                   (17, 16)), module_cost(option, (17, 16))
    assert teacher == student
    without = module_cost(
        build_option(dict(type='TokenMLP', mlp_ratio=2), (17, 16), (17, 16)),
        (17, 16))
    # + qkv and proj linears (17 x 16 x 64), the two attention matmuls and
    # one more LayerNorm (5 per element, mmengine's count)
    extra = 17 * 16 * 64 + 2 * 17**2 * 16 + 5 * 17 * 16
    assert teacher['flops'] - without['flops'] == extra
