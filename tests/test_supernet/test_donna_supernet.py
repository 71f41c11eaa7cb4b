"""DonnaSupernet over stock mmpretrain backbones: the same config pattern for
MobileNetV2, ResNet and EfficientNet; BKD trains every block at once."""
import pytest
import torch
from mmengine.hub import get_config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mmdonna.registry import MODELS
from mmdonna.search_space.builder import SearchSpaceError

OPTIONS = [
    dict(type='MBConv', kernel=[3, 5], expand=3),
    dict(type='ResBlock'),
]
TEACHERS = {
    'mobilenet_v2': ('mmpretrain::_base_/models/mobilenet_v2_1x.py',
                     ['backbone.layer2', 'backbone.layer3']),
    'resnet18': ('mmpretrain::_base_/models/resnet18.py',
                 ['backbone.layer1', 'backbone.layer2']),
    'efficientnet_b0': ('mmpretrain::_base_/models/efficientnet_b0.py',
                        ['backbone.layers.2', 'backbone.layers.3']),
}


def build_supernet(teacher_cfg, paths, options=OPTIONS, **kwargs):
    init_default_scope('mmpretrain')
    teacher = get_config(teacher_cfg).model
    cfg = dict(
        type='mmdonna.DonnaSupernet',
        teacher=teacher,
        data_preprocessor=dict(num_classes=1000, mean=[0] * 3, std=[1] * 3),
        input_shape=(3, 64, 64),
        blocks=[dict(path=p, options=options) for p in paths])
    cfg.update(kwargs)
    return MODELS.build(cfg)


@pytest.mark.parametrize('name', sorted(TEACHERS))
def test_same_pattern_works_for_stock_backbones(name):
    cfg_path, paths = TEACHERS[name]
    model = build_supernet(cfg_path, paths, train_options='all')
    assert model.space.paths == paths
    for b in model.space.blocks:
        assert len(b.in_shape) == 3 and len(b.out_shape) == 3
    data = dict(inputs=[torch.randint(0, 255, (3, 64, 64)).byte()] * 4)
    optim = build_optim_wrapper(model,
                                dict(optimizer=dict(type='Adam', lr=1e-2)))
    teacher_before = {
        k: v.clone()
        for k, v in model.teacher.state_dict().items()
    }
    first = model.train_step(data, optim)
    for _ in range(5):
        last = model.train_step(data, optim)
    for i in range(len(paths)):
        assert last[f'loss_block{i}'] < first[f'loss_block{i}']
    # the teacher is frozen, running stats included
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, teacher_before[k]), k


def test_sample_mode_trains_only_sampled_options():
    cfg_path, paths = TEACHERS['resnet18']
    model = build_supernet(
        cfg_path, paths[:1], train_options='sample', num_sampled=1)
    data = dict(inputs=[torch.randint(0, 255, (3, 64, 64)).byte()] * 2)
    model.train()
    model.zero_grad()
    losses = model.loss(model.data_preprocessor(data, True)['inputs'])
    sum(losses.values()).backward()
    opts = model.block_options(paths[0])
    with_grad = [
        any(p.grad is not None for p in m.parameters()) for m in opts.choices
    ]
    assert sum(with_grad) == 1


def test_weight_sharing_builds_one_elastic_module():
    cfg_path, paths = TEACHERS['mobilenet_v2']
    grid = [dict(type='MBConv', kernel=[3, 5], expand=[3, 6])]
    independent = build_supernet(
        cfg_path, paths[:1], options=grid, teacher_option=False)
    assert len(independent.block_options(paths[0]).choices) == 4
    shared = build_supernet(
        cfg_path,
        paths[:1],
        teacher_option=False,
        blocks=[dict(path=paths[0], weight_sharing=True, options=grid)])
    opts = shared.block_options(paths[0])
    assert len(opts.choices) == 1 and len(opts) == 4
    x = torch.randn(2, *shared.space.blocks[0].in_shape)
    shared.eval()
    for i in range(4):
        exported = opts.export(i).eval()
        with torch.no_grad():
            torch.testing.assert_close(exported(x), opts(x, i))


def test_wrong_cut_path_lists_valid_ones():
    with pytest.raises(SearchSpaceError) as e:
        build_supernet(TEACHERS['resnet18'][0], ['backbone.layer9'])
    msg = str(e.value)
    assert "'backbone.layer9'" in msg and 'backbone.layer4' in msg
    assert '\n' not in msg


def test_blocks_out_of_order_are_refused():
    with pytest.raises(SearchSpaceError, match='network order'):
        build_supernet(TEACHERS['resnet18'][0],
                       ['backbone.layer2', 'backbone.layer1'])


def test_option_that_cannot_fit_names_block_and_option():
    # an option whose width is valid but whose shape breaks: a cut point
    # whose output is not a feature map (the classifier head) is refused.
    with pytest.raises(SearchSpaceError, match='N x C x H x W'):
        build_supernet(TEACHERS['resnet18'][0], ['head.fc'])


def test_missing_teacher_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='teacher_checkpoint'):
        build_supernet(
            TEACHERS['resnet18'][0], ['backbone.layer1'],
            teacher_checkpoint=str(tmp_path / 'nope.pth'))
