"""Token cut points ((N, L, C), a ViT / DeiT encoder layer): block shapes
(L, C), the layout, stride inference, the token options and their one-line
errors."""
import pytest
import torch

from mmdonna.search_space import (BlockSpec, SearchSpaceError, build_option,
                                  channel_dim, channels_of, expand_options,
                                  infer_stride, layout_of, option_set)


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
