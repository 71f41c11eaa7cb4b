import json

import numpy as np
import pytest
import torch

from mmdonna.search_space import (BlockSpec, SearchSpace, SearchSpaceError,
                                  build_option, expand_options, shape_of)


def _space():
    return SearchSpace.from_config([
        dict(
            path='backbone.layer1',
            options=[dict(type='MBConv', kernel=[3, 5], expand=[3, 6])]),
        dict(
            path='backbone.layer2',
            options=[
                dict(type='ResBlock'),
                dict(type='AttentionBlock', heads=2)
            ]),
    ])


def test_grid_expansion_order():
    opts = expand_options([dict(type='MBConv', kernel=[3, 5], expand=[3, 6])])
    assert [(o['kernel'], o['expand']) for o in opts] == [(3, 3), (3, 6),
                                                          (5, 3), (5, 6)]


def test_encode_decode_round_trip_through_json():
    space = _space()
    assert space.num_options == [4, 2] and space.size == 8
    rng = np.random.default_rng(0)
    for code in list(space.enumerate()) + [space.sample(rng)]:
        arch = json.loads(json.dumps(space.decode(code)))
        assert space.encode(arch) == tuple(code)
    clone = SearchSpace.from_dict(json.loads(json.dumps(space.to_dict())))
    assert clone.fingerprint() == space.fingerprint()


def test_fingerprint_changes_with_options():
    a = _space()
    b = SearchSpace.from_config([
        dict(path='backbone.layer1', options=[dict(type='MBConv')]),
        dict(path='backbone.layer2', options=[dict(type='ResBlock')]),
    ])
    assert a.fingerprint() != b.fingerprint()


@pytest.mark.parametrize('blocks, match', [
    ([], 'no blocks'),
    ([dict(path='a', options=[])], "block 'a' has an empty option set"),
    ([
        dict(path='a', options=[dict(type='MBConv')]),
        dict(path='a', options=[dict(type='MBConv')])
    ], 'twice'),
    ([dict(path='a', option=[dict(type='MBConv')])], 'unknown'),
])
def test_bad_space_is_a_one_line_error(blocks, match):
    with pytest.raises(SearchSpaceError, match=match) as e:
        SearchSpace.from_config(blocks)
    assert '\n' not in str(e.value)


def test_bad_codes_and_archs():
    space = _space()
    with pytest.raises(SearchSpaceError, match='does not fit'):
        space.decode([4, 0])
    with pytest.raises(SearchSpaceError, match='missing blocks'):
        space.encode({'backbone.layer1': dict(type='MBConv')})


def test_option_whose_shape_cannot_fit_names_block_and_option():
    # one integer stride cannot map 8x8 to 3x5
    with pytest.raises(SearchSpaceError) as e:
        build_option(
            dict(type='ResBlock'), (8, 8, 8), (8, 3, 5), 'backbone.layer3', 2)
    msg = str(e.value)
    assert "block 'backbone.layer3' option 2" in msg and '\n' not in msg


def test_unknown_option_key_names_block_and_option():
    with pytest.raises(SearchSpaceError, match="option 0 .*kernal"):
        build_option(
            dict(type='MBConv', kernal=3), (8, 8, 8), (8, 8, 8),
            'backbone.layer1', 0)


def test_block_spec_round_trip():
    b = BlockSpec('x', [dict(type='MBConv')], (3, 4, 4), (8, 2, 2), True)
    assert BlockSpec.from_dict(json.loads(json.dumps(b.to_dict()))) == b


@pytest.mark.parametrize(
    'value,kind',
    [((torch.zeros(1, 8, 4, 4), ), 'outputs a tuple of 1'),
     (torch.zeros(1, 17, 16, 2, 2), 'outputs a 5-D tensor (1, 17, 16, 2, 2)'),
     (torch.zeros(1, 10), 'outputs a 2-D tensor (1, 10)'),
     (None, 'outputs NoneType')])
def test_cut_point_that_is_not_nchw_is_named(value, kind):
    where = "model.blocks[1].path='backbone.stages.1'"
    with pytest.raises(SearchSpaceError) as e:
        shape_of(value, where)
    msg = str(e.value)
    assert msg.startswith(f'{where} {kind}: cut points must take and '
                          f'output one NCHW'), msg
    assert '(N, L, C) token tensor' in msg
    assert '\n' not in msg
    assert shape_of(torch.zeros(1, 8, 4, 2), where) == (8, 4, 2)
    # (N, L, C) tokens: the block shape is (L, C)
    assert shape_of(torch.zeros(1, 17, 16), where) == (17, 16)
