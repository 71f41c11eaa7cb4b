"""An upsampling cut point end to end on a real mmagic EDSR x2
(``generator.upsample``: conv + PixelShuffle, 16 channels at H x W in,
16 at 2H x 2W out): the supernet builds, BKD trains its options, the
assembled network and the exported ``DonnaBackbone`` run the same
weights (loaded strictly), and the library / LUT cost of an option is
the one of the module they run."""
import copy

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mmdonna.export.subnet_export import (arch_spec, assemble_weights,
                                          student_config)
from mmdonna.latency import FlopsEstimator
from mmdonna.library.scoring import module_cost
from mmdonna.registry import DATASETS, MODELS
from mmdonna.search_space import UPSAMPLE_MODES, UpsampleBlock
from mmdonna.stages import supernet_model
from mmdonna.stages.validate import DonnaConfigError, validate_config
from .utils import TINY_OPTIONS, random_teacher_checkpoint, tiny_donna_config

PATHS = ['generator.body.0', 'generator.body.1', 'generator.upsample']
#: The upsampler's options: two families, each with the three upsamplers
#: (the grid of the ``upsample`` key), and the teacher's own.
UP_OPTIONS = [
    dict(
        type='DWSepBlock',
        kernel=3,
        expand=2,
        upsample=['pixel_shuffle', 'nearest', 'bilinear']),
    dict(type='EDSRBlock', kernel=3, width=0.5, upsample='pixel_shuffle'),
]


def build_edsr_supernet(tmp_path):
    ckpt = random_teacher_checkpoint('sr', str(tmp_path / 'teacher.pth'))
    cfg = tiny_donna_config('sr', ckpt)
    cfg.donna.blocks = [
        dict(path=p, options=TINY_OPTIONS[:2]) for p in PATHS[:2]
    ] + [dict(path=PATHS[2], options=UP_OPTIONS)]
    init_default_scope('mmagic')
    torch.manual_seed(0)
    return cfg, MODELS.build(supernet_model(cfg))


def batches(cfg, n=3, batch_size=4):
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    order = np.random.default_rng(0).permutation(len(dataset))
    return [
        pseudo_collate([dataset[j] for j in order[i:i + batch_size]])
        for i in range(0, n * batch_size, batch_size)
    ]


def test_edsr_upsampler_cut_point_trains_assembles_and_exports(tmp_path):
    cfg, model = build_edsr_supernet(tmp_path)
    assert model.space.paths == PATHS
    up = model.space.blocks[2]
    assert (up.in_shape, up.out_shape) == ((16, 32, 32), (16, 64, 64))
    assert [o.get('upsample') for o in up.options] == [
        'pixel_shuffle', 'nearest', 'bilinear', 'pixel_shuffle', None
    ]
    assert up.options[-1] == dict(type='Teacher')
    options = model.block_options(PATHS[2])
    assert all(isinstance(options.choices[i], UpsampleBlock) for i in range(4))

    # BKD: the upsampler's loss is finite, reaches every trained option's
    # weights and falls over a few steps on the same batches
    data = batches(cfg)
    optim = build_optim_wrapper(model,
                                dict(optimizer=dict(type='Adam', lr=2e-3)))
    model.train()
    feats = model.teacher_features(
        model.data_preprocessor(data[0], True)['inputs'])
    x, y = feats[PATHS[2]]
    assert y.shape[1:] == (16, 2 * x.shape[2], 2 * x.shape[3])
    loss = model.loss(model.data_preprocessor(data[0], True)['inputs'])
    assert set(loss) == {'loss_block0', 'loss_block1', 'loss_block2'}
    assert torch.isfinite(loss['loss_block2'])
    loss['loss_block2'].backward()
    for i in options.trainable:
        grads = [p.grad for p in options.choices[i].parameters()]
        assert all(g is not None and g.abs().sum() > 0 for g in grads), i
    optim.zero_grad()
    first = [float(model.train_step(d, optim)['loss_block2']) for d in data]
    for _ in range(3):
        for d in data:
            model.train_step(d, optim)
    later = [float(model.train_step(d, optim)['loss_block2']) for d in data]
    assert np.isfinite(later).all() and np.mean(later) < np.mean(first)

    # the assembled network and the exported DonnaBackbone: the same
    # modules, the BKD weights loaded strictly, the same output image
    model.eval()
    for code in ([0, 1, 1], [1, 0, 2], [0, 0, 3], [1, 1, 4]):
        spec = arch_spec(model.space, code, len('generator.'))
        assert spec['upsample'] == dict(
            option=up.options[code[2]],
            in_channels=16,
            out_channels=16,
            stride=1,
            upsample=2)
        net = model.assemble(code).eval()
        student_cfg = student_config(cfg.model.to_dict(), model.space, code,
                                     None, 'mmagic')
        student = MODELS.build(copy.deepcopy(student_cfg)).eval()
        weights = assemble_weights(student, model.teacher, model.space, code,
                                   model.export_option)
        fresh = MODELS.build(copy.deepcopy(student_cfg)).eval()
        fresh.load_state_dict(weights, strict=True)
        block = fresh.generator.base.upsample
        assert type(block) is type(net.generator.upsample)
        inputs = torch.rand(2, 3, 20, 20)
        with torch.no_grad():
            out = fresh(inputs, mode='tensor')
            assert out.shape == (2, 3, 40, 40)
            torch.testing.assert_close(out, net(inputs, mode='tensor'))

    # library and LUT cost of an upsampling option: its conv work at the
    # input resolution, pixel shuffle 4x the width of nearest
    costs = [
        module_cost(model.export_option(PATHS[2], i), up.in_shape)
        for i in range(3)
    ]
    assert costs[0]['flops'] > 3 * costs[1]['flops'] > 0
    assert costs[2]['flops'] > costs[1]['flops']  # bilinear: 4 per pixel
    flops = FlopsEstimator().measure(
        model.export_option(PATHS[2], 1), (1, *up.in_shape))
    assert flops['ok'] and flops['flops'] == costs[1]['flops']


@pytest.mark.parametrize('scale', [2, 1.5])
def test_config_check_takes_integer_upsampling_and_refuses_others(
        scale, tmp_path):
    """SRCNN's first module is a bicubic ``nn.Upsample`` of the image
    (3 channels, no weights): at x2 a cut point like any other, at x1.5
    (32 -> 48 px) refused by the config check in one line."""
    ckpt = random_teacher_checkpoint('sr', str(tmp_path / 'teacher.pth'))
    cfg = tiny_donna_config('sr', ckpt)
    cfg.model.generator = dict(
        type='SRCNNNet', channels=(3, 16, 8, 3), upscale_factor=scale)
    cfg.donna.blocks = [
        dict(
            path='generator.img_upsampler',
            options=[dict(type='DWSepBlock', upsample=list(UPSAMPLE_MODES))]),
        dict(path='generator.conv2', options=TINY_OPTIONS[:1]),
    ]
    if scale == 2:
        validate_config(cfg)
        init_default_scope('mmagic')
        block = MODELS.build(supernet_model(cfg)).space.blocks[0]
        assert (block.in_shape, block.out_shape) == ((3, 32, 32), (3, 64, 64))
        assert len(block.options) == 4  # 3 upsamplers and the teacher
        return
    with pytest.raises(DonnaConfigError) as e:
        validate_config(cfg)
    msg = str(e.value)
    assert '\n' not in msg
    assert "donna.blocks[0].path='generator.img_upsampler'" in msg
    assert '(3, 32, 32) -> (3, 48, 48)' in msg and 'integer factor' in msg
