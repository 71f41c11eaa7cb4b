"""Restoration block families beyond the registry-wide checks of
tests/test_search_space/test_families.py: shape adapters, any-size ONNX
graphs, cost scaling and one-line errors."""
import io

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch import nn

from mmdonna.library import module_cost
from mmdonna.search_space import (DWSepBlock, EDSRBlock, MDTABlock, RCABlock,
                                  build_option)
from mmdonna.search_space.builder import SearchSpaceError

FAMILIES = [EDSRBlock, DWSepBlock, RCABlock, MDTABlock]


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize('cls', FAMILIES)
def test_input_adapter_only_where_shapes_differ(cls):
    same = cls(16, 16)
    assert isinstance(same.adapter, nn.Identity)
    wider = cls(8, 16)
    assert isinstance(wider.adapter, nn.Conv2d)
    assert wider.adapter.kernel_size == (1, 1)
    assert wider(torch.randn(2, 8, 6, 10)).shape == (2, 16, 6, 10)
    down = cls(8, 16, stride=2)
    assert down.adapter.stride == (2, 2)
    assert down(torch.randn(1, 8, 12, 12)).shape == (1, 16, 6, 6)


@pytest.mark.parametrize('cls', FAMILIES)
def test_fresh_option_starts_close_to_identity(cls):
    # BKD starts from options that pass their input through (a residual
    # branch scaled down at init, as mmagic's ResidualBlockNoBN does)
    torch.manual_seed(0)
    m = cls(16, 16).eval()
    x = torch.randn(2, 16, 8, 8)
    with torch.no_grad():
        rel = (m(x) - x).norm() / x.norm()
    assert rel < 0.3


@pytest.mark.parametrize('cls', FAMILIES)
def test_onnx_graph_runs_at_any_resolution(cls):
    m = cls(16, 16).eval()
    buf = io.BytesIO()
    torch.onnx.export(
        m, (torch.randn(1, 16, 8, 8), ),
        buf,
        input_names=['x'],
        dynamic_axes=dict(x={
            0: 'n',
            2: 'h',
            3: 'w'
        }),
        dynamo=False,
        opset_version=17)
    sess = ort.InferenceSession(
        buf.getvalue(), providers=['CPUExecutionProvider'])
    x = torch.randn(2, 16, 12, 20)
    with torch.no_grad():
        y = m(x).numpy()
    (onnx_y, ) = sess.run(None, {'x': x.numpy()})
    np.testing.assert_allclose(onnx_y, y, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize('cls, key', [(EDSRBlock, 'width'),
                                      (RCABlock, 'width'),
                                      (DWSepBlock, 'expand'),
                                      (MDTABlock, 'ffn_expand')])
def test_width_and_depth_choices_change_cost(cls, key):
    thin = cls(32, 32, **{key: 0.5})
    wide = cls(32, 32, **{key: 2})
    deep = cls(32, 32, **{key: 0.5}, depth=2)
    assert n_params(thin) < n_params(wide)
    assert n_params(deep) > n_params(thin)


def test_transposed_attention_cost_is_linear_in_pixels():
    # MDTA attends across channels: 4x the pixels is 4x the FLOPs, which is
    # why it can run at full restoration resolution
    m = MDTABlock(16, 16, heads=2)
    small = module_cost(m, (16, 16, 16))['flops']
    large = module_cost(m, (16, 32, 32))['flops']
    assert 3.9 < large / small < 4.1


@pytest.mark.parametrize('option, match', [
    (dict(type='EDSRBlock', kernel=4), 'kernel=4'),
    (dict(type='DWSepBlock', depth=0), 'depth=0'),
    (dict(type='RCABlock', width=-1.0), 'width=-1.0'),
    (dict(type='MDTABlock', heads=3), 'heads=3 must divide'),
    (dict(type='EDSRBlock', kernal=3), 'kernal'),
])
def test_bad_choice_is_a_one_line_error_naming_block(option, match):
    with pytest.raises(SearchSpaceError, match=match) as e:
        build_option(option, (16, 8, 8), (16, 8, 8), 'generator.body.0', 3)
    msg = str(e.value)
    assert "'generator.body.0' option 3" in msg and '\n' not in msg
