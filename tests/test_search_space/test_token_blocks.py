"""Token cut points ((N, L, C), a ViT / DeiT encoder layer): block shapes
(L, C), the layout, stride inference, the token options and their one-line
errors."""
import pytest
import torch

from mmdonna.registry import MODELS
from mmdonna.search_space import (BlockSpec, SearchSpaceError, build_option,
                                  channel_dim, channels_of, expand_options,
                                  infer_stride, layout_of, option_set)
from mmdonna.search_space.extra_inputs import ignore_extra_inputs
from mmdonna.utils.block_capture import ExtraInputs


def test_layout_channels_and_stride_of_token_shapes():
    assert layout_of((17, 16)) == 'tokens'
    assert layout_of((16, 8, 8)) == 'nchw'
    assert channels_of((17, 16)) == 16
    assert channels_of((16, 8, 4)) == 16
    assert channel_dim((17, 16)) == -1 and channel_dim((16, 8, 8)) == 1
    assert infer_stride((17, 16), (17, 16)) == 1
    assert infer_stride((17, 16), (17, 32)) == 1  # C may change, L not
    assert infer_stride((16, 8, 8), (32, 4, 4)) == 2
    with pytest.raises(SearchSpaceError, match=r'keeps its sequence length'):
        infer_stride((17, 16), (9, 16))
    with pytest.raises(SearchSpaceError, match='one layout'):
        infer_stride((17, 16), (16, 4, 4))
    spec = BlockSpec('backbone.layers.0', [], (17, 16), (17, 16))
    assert spec.layout == 'tokens'
    assert BlockSpec('b', [], (8, 4, 4), (8, 4, 4)).layout == 'nchw'


def test_token_options_keep_l_and_c_and_mix_tokens():
    options = expand_options(option_set('tokens'))
    assert {o['type'] for o in options} == {'TokenAttention', 'TokenMLP'}
    x = torch.randn(2, 17, 16)
    for i, o in enumerate(options):
        m = build_option(o, (17, 16), (17, 16), 'backbone.layers.0', i)
        m.eval()
        y = m(x)
        assert y.shape == x.shape, o
        # attention mixes tokens (changing token 1 changes token 0's
        # output), the MLP mixer works on every token alone
        x2 = x.clone()
        x2[:, 1] = torch.randn(2, 16)  # (a shift would vanish in its LN)
        moved = not torch.allclose(m(x2)[:, 0], y[:, 0])
        assert moved == (o['type'] == 'TokenAttention'), o


@pytest.mark.parametrize('option, in_shape, out_shape, words', [
    (dict(type='TokenAttention', num_heads=3), (17, 16),
     (17, 16), 'num_heads=3 must be >= 1 and divide the channels C=16'),
    (dict(type='TokenMLP'), (17, 16), (17, 32), 'in_channels == out_channels'),
    (dict(type='TokenMLP'), (16, 4, 4),
     (16, 4, 4), 'TokenMLP takes one (N, L, C) token tensor'),
    (dict(type='TokenAttention', mlp_ratio=0), (17, 16),
     (17, 16), 'mlp_ratio=0 must be > 0'),
])
def test_token_option_errors_are_one_line(option, in_shape, out_shape, words):
    with pytest.raises(SearchSpaceError) as e:
        build_option(option, in_shape, out_shape, 'backbone.layers.0', 2)
    msg = str(e.value)
    assert "block 'backbone.layers.0' option 2" in msg, msg
    assert words in msg, msg
    assert '\n' not in msg


def _grid_option(option, hw_shape=None, length=15):
    m = build_option(
        option, (length, 16), (length, 16),
        'backbone.stages.1.blocks.0',
        0,
        extra=ExtraInputs((hw_shape, ), {}) if hw_shape else None)
    return m.eval()


@pytest.mark.parametrize('option, reach', [
    (dict(type='TokenWindowAttention', num_heads=2, window_size=2), 'window'),
    (dict(type='TokenConvMixer', kernel=3), 'kernel'),
])
def test_grid_options_mix_tokens_only_near_on_the_hw_grid(option, reach):
    # a 3 x 5 grid: not a multiple of the 2 x 2 window (padded like Swin)
    m = _grid_option(option, (3, 5))
    x = torch.randn(2, 15, 16)
    y = m(x, (3, 5))
    assert y.shape == x.shape
    x2 = x.clone()
    x2[:, 7] = torch.randn(2, 16)  # token (1, 2)
    y2 = m(x2, (3, 5))
    changed = {(t // 5, t % 5)
               for t in range(15)
               if not torch.allclose(y[:, t], y2[:, t], atol=1e-6)}
    if reach == 'window':  # the 2 x 2 window of (1, 2)
        assert changed == {(0, 2), (0, 3), (1, 2), (1, 3)}
    else:  # the 3 x 3 neighbourhood
        assert changed == {(r, c) for r in range(3) for c in (1, 2, 3)}
    # the grid is hw_shape: 5 x 3 reads the same tokens otherwise
    assert not torch.allclose(m(x, (5, 3)), y)


def test_window_attention_pads_and_shrinks_like_swin():
    x = torch.randn(1, 15, 16)
    # a window as large as the grid's shorter side: one window per 3 x 3
    # block, the grid padded to 3 x 6 (all 3 rows; columns 0-2 and 3-5)
    m = _grid_option(dict(type='TokenWindowAttention', window_size=7), (3, 5))
    x2 = x.clone()
    x2[:, 0] = torch.randn(1, 16)
    y, y2 = m(x, (3, 5)), m(x2, (3, 5))
    changed = {t for t in range(15) if not torch.allclose(y[:, t], y2[:, t])}
    assert changed == {r * 5 + c for r in range(3) for c in range(3)}


def test_grid_options_infer_a_square_grid_after_a_cls_token():
    # a ViT / DeiT layer: one input, the cls token and a 4 x 4 grid
    for option in (dict(type='TokenWindowAttention',
                        window_size=2), dict(type='TokenConvMixer')):
        m = _grid_option(option, length=17)
        x = torch.randn(2, 17, 16)
        y = m(x)
        assert y.shape == x.shape
        # the cls token takes the MLP only: grid tokens do not reach it
        x2 = x.clone()
        x2[:, 1:] = torch.randn(2, 16, 16)
        torch.testing.assert_close(m(x2)[:, 0], y[:, 0])


@pytest.mark.parametrize('option, length, hw_shape, words', [
    (dict(type='TokenConvMixer'), 15, None,
     'needs the token grid: the block is called without hw_shape and L=15'),
    (dict(type='TokenWindowAttention'), 15,
     (4, 4), 'hw_shape=(4, 4) (16 tokens) for L=15 tokens'),
    (dict(type='TokenConvMixer', kernel=4), 16, None, 'kernel=4 must be odd'),
    (dict(type='TokenWindowAttention',
          window_size=0), 16, None, 'window_size=0 must be >= 1'),
    (dict(type='TokenWindowAttention',
          num_heads=3), 16, None, 'num_heads=3 must be >= 1 and divide'),
])
def test_grid_option_errors_are_one_line(option, length, hw_shape, words):
    with pytest.raises(SearchSpaceError) as e:
        _grid_option(option, hw_shape, length)
    msg = str(e.value)
    assert "block 'backbone.stages.1.blocks.0' option 0" in msg, msg
    assert words in msg, msg
    assert '\n' not in msg


def test_one_input_families_ignore_extra_inputs_with_the_same_keys():
    option = dict(type='TokenMLP', mlp_ratio=2)
    m = build_option(option, (16, 16), (16, 16)).eval()
    plain = MODELS.build(
        dict(option, _scope_='mmdonna', in_channels=16,
             out_channels=16)).eval()
    assert list(m.state_dict()) == list(plain.state_dict())
    plain.load_state_dict(m.state_dict(), strict=True)
    x = torch.randn(2, 16, 16)
    torch.testing.assert_close(m(x, (4, 4)), plain(x))
    torch.testing.assert_close(m(x, (4, 4), mask=None), m(x))
    torch.testing.assert_close(m(x=x, hw_shape=(4, 4)), m(x))
    with pytest.raises(TypeError):
        plain(x, (4, 4))  # without the adapter
    # the adapter goes on once, and not on a family that takes the extras
    assert ignore_extra_inputs(m) is m and len(m._forward_pre_hooks) == 1
    w = build_option(
        dict(type='TokenConvMixer'), (16, 16), (16, 16),
        extra=ExtraInputs(((4, 4), ), {}))
    assert not w._forward_pre_hooks
