"""Token cut points on a stock mmpretrain DeiT (``VisionTransformer``,
``backbone.layers.<i>`` take and output (N, L, C) tokens, the cls token
included): shapes (L, C), BKD's per-channel NSR over the last axis, the
assembled network and the exported ``DonnaBackbone`` with the BKD
weights."""
import torch
from mmengine.hub import get_config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mmdonna.distill import nsr
from mmdonna.export.subnet_export import (arch_spec, assemble_weights,
                                          student_config)
from mmdonna.registry import MODELS
from mmdonna.search_space import TEACHER_OPTION, option_set

PATHS = ['backbone.layers.0', 'backbone.layers.1']
OPTIONS = option_set('tokens')


def deit_teacher() -> dict:
    """The stock DeiT-tiny model shrunk to 2 layers of 16 channels, 32 px
    images in 8 px patches (16 patches + the cls token); nothing
    pretrained."""
    model = get_config('mmpretrain::deit/deit-tiny_4xb256_in1k.py').model
    model = model.to_dict()
    model.pop('init_cfg', None)
    model.pop('train_cfg', None)  # Mixup/CutMix batch augments
    model['backbone'].update(
        arch=dict(
            embed_dims=16, num_layers=2, num_heads=2, feedforward_channels=32),
        img_size=32,
        patch_size=8)
    model['backbone'].pop('init_cfg', None)
    model['head'].update(in_channels=16, num_classes=10)
    return model


def build_token_supernet(**kwargs):
    torch.manual_seed(0)  # the same initial weights whatever ran before
    init_default_scope('mmpretrain')
    cfg = dict(
        type='mmdonna.DonnaSupernet',
        teacher=deit_teacher(),
        data_preprocessor=dict(num_classes=10, mean=[0] * 3, std=[1] * 3),
        input_shape=(3, 32, 32),
        blocks=[dict(path=p, options=OPTIONS) for p in PATHS],
        train_options='all')
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _inputs(model, n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    data = dict(inputs=[
        torch.randint(0, 255, (3, 32, 32), generator=g).byte()
        for _ in range(n)
    ])
    return data


def test_deit_blocks_are_token_blocks_trained_with_the_last_axis_nsr():
    model = build_token_supernet()
    assert model.space.paths == PATHS
    for b in model.space.blocks:
        assert b.layout == 'tokens'
        assert b.in_shape == b.out_shape == (17, 16)
        assert b.options[-1] == TEACHER_OPTION
        assert len(b.options) == 7  # 4 TokenAttention, 2 TokenMLP, teacher
    data = _inputs(model)
    inputs = model.data_preprocessor(data, True)['inputs']
    model.train()
    losses = model.loss(inputs)
    feats = model.teacher_features(inputs)
    for i, b in enumerate(model.space.blocks):
        x, y = feats[b.path]
        assert x.shape == y.shape == (4, 17, 16)
        opts = model.block_options(b.path)
        with torch.no_grad():
            outs = [opts(x, j) for j in opts.trainable]
            want = sum(nsr(o, y, 'channel', -1) for o in outs) / len(outs)
            wrong = sum(nsr(o, y) for o in outs) / len(outs)
        got = float(losses[f'loss_block{i}'])
        assert abs(got - float(want)) < 1e-4 * float(want)
        assert abs(got - float(wrong)) > 0.1 * got  # not the dim-1 NSR
        # the teacher option reproduces the teacher layer exactly
        assert torch.equal(opts(x, len(opts) - 1), y)
    optim = build_optim_wrapper(model,
                                dict(optimizer=dict(type='Adam', lr=1e-2)))
    first = model.train_step(data, optim)
    for _ in range(5):
        last = model.train_step(data, optim)
    for i in range(len(PATHS)):
        assert last[f'loss_block{i}'] < first[f'loss_block{i}']


def test_exported_donna_backbone_runs_the_bkd_token_options():
    model = build_token_supernet()
    model.eval()
    code = [0, 4]  # TokenAttention(1 head, mlp 2), TokenMLP(mlp 1)
    spec = arch_spec(model.space, code, len('backbone.'))
    assert spec['layers.1'] == dict(
        option=dict(type='TokenMLP', mlp_ratio=1),
        in_channels=16,
        out_channels=16,
        stride=1,
        layout='tokens')
    net = model.assemble(code).eval()
    cfg = student_config(deit_teacher(), model.space, code, None, 'mmpretrain')
    student = MODELS.build(cfg).eval()
    weights = assemble_weights(student, model.teacher, model.space, code,
                               model.export_option)
    student.load_state_dict(weights)
    inputs = model.data_preprocessor(_inputs(model, 2, 1), False)['inputs']
    with torch.no_grad():
        torch.testing.assert_close(
            student(inputs, mode='tensor'), net(inputs, mode='tensor'))
    kinds = [type(student.backbone.base.layers[i]).__name__ for i in range(2)]
    assert kinds == ['TokenAttention', 'TokenMLP']
