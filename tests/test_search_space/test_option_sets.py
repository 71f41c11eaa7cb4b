"""Every registered option set expands and builds for a block shape; names
resolve in one call, unknown ones fail in one line."""
import pytest
import torch

from mmdonna.search_space import (OPTION_SETS, SearchSpaceError, build_option,
                                  expand_options, option_set,
                                  register_option_set)

SHAPES = {
    # a downsampling block with new channels, and a resolution-keeping one
    # (restoration families keep the resolution)
    'mbconv': ((16, 16, 16), (24, 8, 8)),
    'diverse': ((16, 16, 16), (24, 8, 8)),
    'diverse_linear_out': ((16, 16, 16), (24, 8, 8)),
    'restoration': ((16, 12, 12), (16, 12, 12)),
    # (L, C) token blocks: (N, L, C) in and out
    'tokens': ((17, 16), (17, 16)),
    # grid token blocks; without hw_shape a cls token + a 4 x 4 grid
    'window_tokens': ((17, 16), (17, 16)),
}


@pytest.mark.parametrize('name', sorted(OPTION_SETS))
def test_every_option_of_a_set_builds_and_runs(name):
    options = expand_options(option_set(name))
    assert len(options) >= (6 if 'tokens' in name else 10)
    in_shape, out_shape = SHAPES[name]
    x = torch.randn(2, *in_shape)
    for i, opt in enumerate(options):
        module = build_option(opt, in_shape, out_shape, name, i)
        assert module(x).shape == (2, *out_shape), opt


def test_names_lists_and_errors():
    assert option_set('mbconv') == OPTION_SETS['mbconv']
    assert option_set('mbconv') is not OPTION_SETS['mbconv']  # a copy
    mine = [dict(type='ResBlock')]
    assert option_set(mine) == mine
    with pytest.raises(SearchSpaceError, match="'mbconvs'.*'mbconv'"):
        option_set('mbconvs', 'donna.options')
    with pytest.raises(SearchSpaceError, match='non-empty'):
        option_set([])
    register_option_set('test_tiny', mine)
    try:
        assert option_set('test_tiny') == mine
        with pytest.raises(SearchSpaceError, match='exists'):
            register_option_set('test_tiny', mine)
    finally:
        OPTION_SETS.pop('test_tiny')
