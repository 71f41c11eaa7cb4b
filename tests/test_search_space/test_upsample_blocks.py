"""Cut points that upsample: scale inference, the upsampler adapter every
option family gets (``upsample`` key), and its one-line errors, against
the upsampler of a real mmagic EDSR."""
import pytest
import torch
from mmengine.registry import init_default_scope

from mmdonna.export import DonnaBackbone
from mmdonna.registry import MODELS
from mmdonna.search_space import (UPSAMPLE_MODES, SearchSpaceError,
                                  UpsampleBlock, build_block, build_option,
                                  expand_options, infer_scale, infer_stride)
from mmdonna.supernet.block_options import BlockOptions

#: One option of every (C, H, W) family.
FAMILIES = [
    dict(type='MBConv', kernel=3, expand=3),
    dict(type='ResBlock', kernel=3),
    dict(type='AttentionBlock', heads=2, mlp_ratio=2),
    dict(type='EDSRBlock', kernel=3, width=0.5),
    dict(type='DWSepBlock', kernel=3, expand=2),
    dict(type='RCABlock', kernel=3, width=0.5),
    dict(type='MDTABlock', heads=1, ffn_expand=1),
]


def edsr_upsampler(scale: int = 2):
    """``generator.upsample`` of a small stock mmagic EDSR (conv +
    PixelShuffle) and the shapes it maps at a 16-channel 8x8 input."""
    init_default_scope('mmagic')
    torch.manual_seed(0)
    net = MODELS.build(
        dict(
            type='mmagic.EDSRNet',
            in_channels=3,
            out_channels=3,
            mid_channels=16,
            num_blocks=2,
            upscale_factor=scale))
    block = net.upsample.eval()
    with torch.no_grad():
        out = block(torch.zeros(1, 16, 8, 8))
    return block, (16, 8, 8), tuple(out.shape[1:])


def test_scale_keeps_reduces_or_upsamples_by_one_integer_factor():
    assert infer_scale((16, 8, 8), (16, 8, 8)) == (1, 1)
    assert infer_scale((16, 8, 8), (32, 4, 4)) == (2, 1)
    assert infer_scale((16, 7, 7), (32, 4, 4)) == (2, 1)  # padded conv
    assert infer_scale((16, 8, 8), (8, 16, 16)) == (1, 2)
    assert infer_scale((16, 8, 6), (16, 24, 18)) == (1, 3)
    assert infer_stride((16, 8, 8), (8, 16, 16)) == 1
    assert infer_scale((17, 16), (17, 32)) == (1, 1)  # tokens keep L


@pytest.mark.parametrize(
    'out_shape',
    [
        (16, 16, 8),  # only H
        (16, 12, 12),  # x1.5
        (16, 16, 24),  # x2 in H, x3 in W
        (16, 4, 16),  # down in H, up in W
    ])
def test_other_scales_are_refused_in_one_line_with_the_shapes(out_shape):
    with pytest.raises(SearchSpaceError) as e:
        infer_scale((16, 8, 8), out_shape)
    msg = str(e.value)
    assert '\n' not in msg
    assert f'(16, 8, 8) -> {out_shape}' in msg and 'integer factor' in msg
    with pytest.raises(SearchSpaceError, match=r"^block 'generator.up': "):
        build_option(FAMILIES[0], (16, 8, 8), out_shape, 'generator.up', 0)


@pytest.mark.parametrize('mode', UPSAMPLE_MODES)
@pytest.mark.parametrize('option', FAMILIES, ids=lambda o: o['type'])
def test_every_family_and_mode_gives_the_teacher_upsampler_shape(option, mode):
    teacher, in_shape, out_shape = edsr_upsampler()
    assert out_shape == (16, 16, 16)
    module = build_option(
        dict(option, upsample=mode),
        in_shape,
        out_shape,
        'generator.upsample',
        0,
        teacher_block=teacher)
    assert isinstance(module, UpsampleBlock) and module.mode == mode
    assert type(module.body).__name__ == option['type']
    with torch.no_grad():
        body = module.body.eval()(torch.randn(1, *in_shape))
        out = module.eval()(torch.randn(2, *in_shape))
    # pixel shuffle: s*s times the channels at the input resolution
    channels = 16 * 4 if mode == 'pixel_shuffle' else 16
    assert tuple(body.shape[1:]) == (channels, 8, 8)
    assert tuple(out.shape[1:]) == out_shape
    # the weights are the option's: the same keys under ``body.``
    assert all(k.startswith('body.') for k in module.state_dict())


def test_default_is_pixel_shuffle_and_a_list_is_a_grid():
    _, in_shape, out_shape = edsr_upsampler()
    plain = build_option(FAMILIES[0], in_shape, out_shape, 'g.up', 0)
    assert plain.mode == 'pixel_shuffle'
    assert isinstance(plain.upsample, torch.nn.PixelShuffle)
    grid = expand_options(
        [dict(type='DWSepBlock', upsample=['pixel_shuffle', 'nearest'])])
    assert [o['upsample'] for o in grid] == ['pixel_shuffle', 'nearest']
    shuffle, nearest = (build_option(o, in_shape, out_shape, 'g.up', i)
                        for i, o in enumerate(grid))
    params = [
        sum(p.numel() for p in m.parameters()) for m in (shuffle, nearest)
    ]
    assert params[0] > params[1]  # the option works at 4x the width
    # the teacher option stays the teacher's own upsampler
    teacher, _, _ = edsr_upsampler()
    copy = build_option(
        dict(type='Teacher'),
        in_shape,
        out_shape,
        'g.up',
        2,
        teacher_block=teacher)
    assert type(copy) is type(teacher)
    assert copy.state_dict().keys() == teacher.state_dict().keys()


@pytest.mark.parametrize('option, shapes, match', [
    (dict(type='MBConv', upsample='nearest'), ((16, 8, 8), (16, 8, 8)),
     r"^block 'g.b' option 1 .*the key upsample is for a block whose output "
     r'is larger than its input.*remove it$'),
    (dict(type='MBConv', upsample='nearest'),
     ((16, 8, 8), (32, 4, 4)), r'stride 2\): remove it$'),
    (dict(type='MBConv', upsample='bicubic'),
     ((16, 8, 8),
      (16, 16, 16)), r"^block 'g.b' option 1 .*upsample='bicubic'; use one of "
     r"\['pixel_shuffle', 'nearest', 'bilinear'\]$"),
    (dict(type='MBConv', upsample='nearest', kernel=4),
     ((16, 8, 8), (16, 16, 16)), r"^block 'g.b' option 1 .*cannot be built"),
])
def test_bad_upsample_key_is_a_one_line_error_naming_the_block(
        option, shapes, match):
    with pytest.raises(SearchSpaceError, match=match) as e:
        build_option(option, *shapes, 'g.b', 1)
    assert '\n' not in str(e.value)


def test_weight_sharing_on_an_upsampling_block_is_refused():
    with pytest.raises(SearchSpaceError, match=r"^block 'g.up' upsamples x2"):
        BlockOptions(
            'g.up', [dict(type='MBConv', kernel=3, expand=3)], (16, 8, 8),
            (16, 16, 16),
            weight_sharing=True)
    opts = BlockOptions('g.up', [dict(type='MBConv', kernel=3, expand=3)],
                        (16, 8, 8), (16, 16, 16))
    with torch.no_grad():
        assert opts(torch.zeros(1, 16, 8, 8), 0).shape == (1, 16, 16, 16)


def test_donna_backbone_builds_the_same_upsampling_module():
    teacher, in_shape, out_shape = edsr_upsampler(3)
    assert out_shape == (16, 24, 24)
    option = dict(type='EDSRBlock', kernel=3, width=0.5, upsample='bilinear')
    built = build_option(option, in_shape, out_shape, 'generator.upsample', 0)
    base = dict(
        type='mmagic.EDSRNet',
        in_channels=3,
        out_channels=3,
        mid_channels=16,
        num_blocks=2,
        upscale_factor=3)
    arch = dict(
        upsample=dict(
            option=option,
            in_channels=16,
            out_channels=16,
            stride=1,
            upsample=3))
    net = DonnaBackbone(base, arch).eval()
    block = net.base.upsample
    assert isinstance(block, UpsampleBlock) and block.scale == 3
    block.load_state_dict(built.state_dict())  # strict: identical keys
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        assert net(x).shape == (1, 3, 24, 24)
        feat = torch.randn(1, *in_shape)
        torch.testing.assert_close(block(feat), built.eval()(feat))
    for bad in (dict(upsample=0), dict(upsample=2.0),
                dict(upsample=2, stride=2)):
        spec = dict(arch['upsample'], **bad)
        with pytest.raises(
                SearchSpaceError,
                match=r"^DonnaBackbone.arch\['upsample'\].upsample="):
            DonnaBackbone(base, dict(upsample=spec))
    # an arch spec without ``upsample`` builds a stride-1 option: no
    # upsampler, the key ``upsample`` is refused
    with pytest.raises(SearchSpaceError, match='the key upsample is for'):
        DonnaBackbone(base, dict(upsample=dict(arch['upsample'], upsample=1)))


def test_build_block_refuses_a_stride_with_upsampling():
    with pytest.raises(SearchSpaceError, match='has stride 1, got stride=2'):
        build_block(FAMILIES[0], 16, 16, 2, 'g.up', 0, upsample=2)


@pytest.mark.parametrize('mode', UPSAMPLE_MODES)
def test_onnx_export_of_an_upsampling_option_matches_torch(mode):
    import onnxruntime as ort

    from mmdonna.latency import export_onnx
    module = build_option(
        dict(type='DWSepBlock', upsample=mode), (16, 8, 8), (16, 16, 16),
        'g.up', 0).eval()
    session = ort.InferenceSession(
        export_onnx(module, (1, 16, 8, 8)), providers=['CPUExecutionProvider'])
    x = torch.randn(1, 16, 8, 8)
    (got, ) = session.run(None, {'input': x.numpy()})
    with torch.no_grad():
        want = module(x)
    assert got.shape == (1, 16, 16, 16)
    torch.testing.assert_close(
        torch.from_numpy(got), want, atol=1e-4, rtol=1e-4)
