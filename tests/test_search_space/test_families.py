"""Registry-driven checks of every student block family: build, forward,
ONNX export (compared with ONNX Runtime) and state-dict reload."""
import io

import numpy as np
import onnxruntime as ort
import pytest
import torch

from mmdonna.registry import MODELS
from mmdonna.search_space import build_option

FAMILIES = {
    'MBConv': [
        dict(),
        dict(kernel=5, expand=3, depth=2, se=True, act='HSwish'),
        dict(kernel=7, expand=1, act='Swish', width=0.5),
    ],
    'ResBlock': [
        dict(),
        dict(bottleneck=True, depth=2, groups=2),
        dict(kernel=5, groups=4, width=0.5),
    ],
    'AttentionBlock': [dict(), dict(heads=4, depth=2, width=0.5)],
    'ElasticMBConv': [dict(), dict(kernels=[3, 5], expands=[2, 4])],
    # restoration families (mmagic bodies)
    'EDSRBlock': [
        dict(),
        dict(kernel=5, width=0.5, depth=2, act='GELU', res_scale=0.1),
    ],
    'DWSepBlock': [dict(),
                   dict(kernel=7, expand=4, depth=2, act='Swish')],
    'RCABlock': [dict(),
                 dict(kernel=5, width=0.5, depth=2, reduction=8)],
    'MDTABlock': [dict(), dict(heads=4, ffn_expand=1.5, depth=2)],
    # token families ((N, L, C): a ViT / DeiT encoder layer)
    'TokenAttention': [dict(),
                       dict(num_heads=4, mlp_ratio=2, act='ReLU')],
    'TokenMLP': [dict(), dict(mlp_ratio=4, act='Swish')],
    # grid token families (a Swin block, or here a cls token + 4 x 4 grid;
    # a 3-wide window pads the grid to 6 x 6)
    'TokenWindowAttention':
    [dict(), dict(num_heads=4, window_size=3, mlp_ratio=2)],
    'TokenConvMixer': [dict(), dict(kernel=5, mlp_ratio=1, act='ReLU')],
}
SHAPES = [((16, 8, 8), (16, 8, 8)), ((16, 8, 8), (24, 4, 4))]
# Restoration bodies keep the resolution: same width, a width change (the
# input adapter) and a non-square map.
RESTORATION_SHAPES = [((16, 8, 8), (16, 8, 8)), ((8, 6, 10), (16, 6, 10))]
# Token blocks keep (L, C): DeiT's 16 patches + the cls token.
TOKEN_SHAPES = [((17, 16), (17, 16))]
SHAPES_OF = {
    f: RESTORATION_SHAPES
    for f in ('EDSRBlock', 'DWSepBlock', 'RCABlock', 'MDTABlock')
}
SHAPES_OF.update({
    f: TOKEN_SHAPES
    for f in ('TokenAttention', 'TokenMLP', 'TokenWindowAttention',
              'TokenConvMixer')
})


def test_every_registered_family_is_covered():
    from mmdonna import search_space  # noqa: F401
    registered = {
        name
        for name, cls in MODELS.module_dict.items()
        if cls.__module__.startswith('mmdonna.search_space')
    }
    assert registered == set(FAMILIES)


CASES = [(f, o, s) for f, opts in FAMILIES.items() for o in opts
         for s in SHAPES_OF.get(f, SHAPES)]


@pytest.mark.parametrize('family, params, shapes', CASES)
def test_family_build_forward_export_reload(family, params, shapes):
    in_shape, out_shape = shapes
    option = dict(type=family, **params)
    module = build_option(option, in_shape, out_shape, 'b', 0).eval()
    x = torch.randn(2, *in_shape)
    with torch.no_grad():
        y = module(x)
    assert y.shape == (2, *out_shape)
    # reload: a fresh module takes the state dict and gives the same output
    clone = build_option(option, in_shape, out_shape, check=False).eval()
    clone.load_state_dict(module.state_dict())
    with torch.no_grad():
        assert torch.allclose(clone(x), y)
    # ONNX export runs in ONNX Runtime with the same numbers
    buf = io.BytesIO()
    with torch.no_grad():  # inference fast paths must export too
        torch.onnx.export(
            module, (x, ),
            buf,
            input_names=['x'],
            dynamo=False,
            opset_version=17)
    sess = ort.InferenceSession(
        buf.getvalue(), providers=['CPUExecutionProvider'])
    (onnx_y, ) = sess.run(None, {'x': x.numpy()})
    np.testing.assert_allclose(onnx_y, y.numpy(), rtol=1e-3, atol=1e-4)


def test_shape_adapter_changes_channels_and_stride():
    m = build_option(dict(type='MBConv', width=0.5), (8, 16, 16), (32, 8, 8))
    assert m(torch.randn(1, 8, 16, 16)).shape == (1, 32, 8, 8)
