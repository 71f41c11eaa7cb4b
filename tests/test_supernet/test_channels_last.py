"""Channels-last cut points (inside a ConvNeXt block, after its permute to
(N, H, W, C)) are refused in one line; the whole block is a cut point."""
import pytest
from mmengine.registry import init_default_scope

from mmdonna.registry import MODELS
from mmdonna.search_space.builder import SearchSpaceError

TEACHER = dict(
    type='mmpretrain.ImageClassifier',
    backbone=dict(
        type='mmpretrain.ConvNeXt',
        arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(type='mmpretrain.LinearClsHead', num_classes=10, in_channels=64))


def supernet(path: str):
    init_default_scope('mmpretrain')
    return MODELS.build(
        dict(
            type='mmdonna.DonnaSupernet',
            teacher=TEACHER,
            input_shape=(3, 32, 32),
            blocks=[dict(path=path, options=[dict(type='MBConv')])]))


@pytest.mark.parametrize('path,layer', [
    ('backbone.stages.1.0.pointwise_conv1', 'Linear'),
    ('backbone.stages.1.0.norm', 'LayerNorm2d'),
])
def test_channels_last_cut_point_is_refused_in_one_line(path, layer):
    with pytest.raises(SearchSpaceError) as e:
        supernet(path)
    msg = str(e.value)
    assert '\n' not in msg
    for words in (f'path={path!r}', 'channels-last (N, H, W, C)',
                  '(1, 4, 4, 16)', f'its {layer} works on the last axis',
                  'NCHW'):
        assert words in msg, msg


def test_the_whole_convnext_block_is_a_cut_point():
    net = supernet('backbone.stages.1.0')
    block = net.space.blocks[0]
    assert block.in_shape == block.out_shape == (16, 4, 4)
