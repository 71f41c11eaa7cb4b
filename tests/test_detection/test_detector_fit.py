"""Searched backbones keep fitting the stock neck/head (every option
reproduces its teacher block's output shape); where an architecture cannot
fit, the error is one line naming the config key."""
import functools

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmdonna.detection import check_detector_fit
from mmdonna.export import build_arch_model, student_config
from mmdonna.registry import MODELS
from mmdonna.search_space.builder import SearchSpaceError
from mmdonna.stages import DonnaConfigError, supernet_model, teacher_config
from .utils import CONFIGS, DETECTORS, IMG, shrink_loader

DIVERSE = [
    dict(type='MBConv', kernel=3, expand=3),
    dict(type='MBConv', kernel=5, expand=6, depth=2),
    dict(type='MBConv', kernel=3, expand=4, se=True, act='HSwish'),
    dict(type='ResBlock'),
    dict(type='ResBlock', groups=4, width=0.5),
    dict(type='AttentionBlock', heads=2, mlp_ratio=2),
]


@functools.lru_cache(maxsize=None)
def _build_supernet(name, num_options):
    cfg_file, paths = DETECTORS[name]
    cfg = Config.fromfile(f'{CONFIGS}/{cfg_file}')
    init_default_scope('mmdet')
    cfg.donna.input_shape = (3, IMG, IMG)
    cfg.donna.blocks = [
        dict(path=p, options=DIVERSE[:num_options]) for p in paths
    ]
    return cfg, MODELS.build(supernet_model(cfg))


def build_supernet(name, num_options=len(DIVERSE)):
    """(donna config, supernet over the detector's two cut points) with the
    first ``num_options`` options; built once per test session."""
    return _build_supernet(name, num_options)


@pytest.mark.parametrize('name', sorted(DETECTORS))
def test_every_option_keeps_the_neck_and_head_fitting(name):
    _, supernet = build_supernet(name)
    teacher_shapes = check_detector_fit(supernet.teacher, (3, IMG, IMG))
    space = supernet.space
    for b in range(space.num_blocks):
        for i in range(space.num_options[b]):
            code = [0] * space.num_blocks
            code[b] = i
            model = build_arch_model(supernet.teacher, space, code)
            assert check_detector_fit(model, (3, IMG, IMG)) == teacher_shapes


def _student(name, edit=None, base_edit=None):
    cfg, supernet = build_supernet(name, 2)
    teacher_cfg = teacher_config(cfg)
    student = student_config(teacher_cfg.model.to_dict(), supernet.space,
                             [1] * supernet.space.num_blocks, None, 'mmdet')
    if edit is not None:
        edit(student['backbone']['arch'])
    if base_edit is not None:
        base_edit(student['backbone']['base'])
    return MODELS.build(student)


@pytest.mark.parametrize('name', sorted(DETECTORS))
def test_exported_donna_backbone_fits(name):
    _, supernet = build_supernet(name, 2)
    shapes = check_detector_fit(_student(name), (3, IMG, IMG))
    assert shapes == check_detector_fit(supernet.teacher, (3, IMG, IMG))


def _one_line(excinfo, *words):
    msg = str(excinfo.value)
    assert '\n' not in msg, msg
    for w in words:
        assert w in msg, msg


def test_arch_that_no_longer_fits_the_base_is_refused():
    # layer3 emitting 64 channels feeds layer4 of the base network (128
    # expected): refused naming the arch entry
    def edit(arch):
        arch['layer3']['out_channels'] = 64

    with pytest.raises(SearchSpaceError) as e:
        check_detector_fit(_student('retinanet', edit), (3, IMG, IMG))
    _one_line(e, "after DonnaBackbone.arch['layer3']", 'out_channels=64')


def test_neck_channels_that_no_longer_fit_are_refused():
    # a neck configured for other backbone outputs than the searched
    # backbone's (which keeps the teacher's shapes)
    student = _student('retinanet')
    student.neck.in_channels = [32, 64, 128, 512]
    with pytest.raises(SearchSpaceError) as e:
        check_detector_fit(student, (3, IMG, IMG))
    _one_line(e, 'model.neck.in_channels=[32, 64, 128, 512]',
              '[32, 64, 128, 256]')


def test_searched_neck_channels_that_no_longer_fit_are_refused():
    # a neck searched with the backbone: its base FPN reads the outputs
    cfg = Config.fromfile(f'{CONFIGS}/retinanet_r18_shapes_search.py')
    init_default_scope('mmdet')
    cfg.donna.input_shape = (3, IMG, IMG)
    cfg.donna.blocks = [
        dict(path=p, options=DIVERSE[:1])
        for p in ('backbone.layer2', 'neck.fpn_convs.0')
    ]
    supernet = MODELS.build(supernet_model(cfg))
    student = MODELS.build(
        student_config(
            teacher_config(cfg).model.to_dict(), supernet.space, [0, 0], None,
            'mmdet'))
    assert check_detector_fit(student, (3, IMG, IMG)) == check_detector_fit(
        supernet.teacher, (3, IMG, IMG))
    student.neck.base.in_channels = [32, 64, 128, 512]
    with pytest.raises(SearchSpaceError) as e:
        check_detector_fit(student, (3, IMG, IMG))
    _one_line(e, 'model.neck.base.in_channels=[32, 64, 128, 512]',
              '[32, 64, 128, 256]')


def test_base_backbone_changed_under_the_arch_is_refused():
    # the arch was searched on a half-width ResNet-18; a full-width base
    # feeds its first replaced block 64 instead of 32 channels
    def base_edit(base):
        base['base_channels'] = 64

    with pytest.raises(SearchSpaceError) as e:
        check_detector_fit(
            _student('retinanet', base_edit=base_edit), (3, IMG, IMG))
    _one_line(e, "DonnaBackbone.arch['layer2']", 'export the architecture')


def test_ssd_arch_that_no_longer_fits_is_refused():
    # SSDLite's neck reads layer5 and conv2; a layer4 emitting other
    # channels breaks layer5 of the base network
    def edit(arch):
        arch['layer4']['out_channels'] = 24

    with pytest.raises(SearchSpaceError) as e:
        check_detector_fit(_student('ssdlite', edit), (3, IMG, IMG))
    _one_line(e, "after DonnaBackbone.arch['layer4']")


def test_fit_hook_refuses_before_the_first_step(tmp_path):
    cfg = Config.fromfile(f'{CONFIGS}/retinanet_r18_shapes_teacher.py')
    _, supernet = build_supernet('retinanet', 2)
    model = student_config(cfg.model.to_dict(), supernet.space, [1, 1], None,
                           'mmdet')
    model['neck']['in_channels'] = [32, 64, 128, 512]
    cfg.model = model
    root = str(tmp_path / 'data') + '/'
    cfg.train_dataloader = shrink_loader(cfg.train_dataloader, root, 2, 2)
    cfg.val_dataloader = None
    cfg.val_cfg = None
    cfg.val_evaluator = None
    cfg.test_dataloader = None
    cfg.test_cfg = None
    cfg.test_evaluator = None
    cfg.custom_hooks = [
        dict(type='mmdonna.DetectorFitHook', input_shape=(3, IMG, IMG))
    ]
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    with pytest.raises(SearchSpaceError, match='model.neck.in_channels'):
        runner.train()
    assert runner.iter == 0


@pytest.mark.parametrize('path', ['neck.fpn_convs.0', 'bbox_head.retina_cls'])
def test_cut_points_outside_the_listed_components_are_refused_at_build(path):
    cfg = Config.fromfile(f'{CONFIGS}/retinanet_r18_shapes_search.py')
    init_default_scope('mmdet')
    cfg.donna.input_shape = (3, IMG, IMG)
    cfg.donna.blocks = [
        dict(path='backbone.layer2', options=DIVERSE[:1]),
        dict(path=path, options=DIVERSE[:1])
    ]
    cfg.donna.component = 'backbone'
    with pytest.raises(SearchSpaceError) as e:
        MODELS.build(supernet_model(cfg))
    _one_line(e, f"['{path}']", "model.component='backbone'",
              'backbone.layer4')
    # a list names every listed component's children
    other = 'bbox_head' if path.startswith('neck') else 'neck'
    cfg.donna.component = ['backbone', other]
    with pytest.raises(SearchSpaceError) as e:
        MODELS.build(supernet_model(cfg))
    _one_line(e, f"['{path}']", f"model.component=['backbone', '{other}']",
              'backbone.layer4', f"'{other}.", 'add their component')
    # a cut point that is a whole component is refused by default
    cfg.donna.component = None
    cfg.donna.blocks[1]['path'] = path.split('.')[0]
    with pytest.raises(DonnaConfigError) as e:
        supernet_model(cfg)
    _one_line(e, f"donna.blocks[1].path='{path.split('.')[0]}'",
              'donna.component')


def test_cut_points_in_the_backbone_and_neck_build_one_supernet():
    # by default the components of the cut points are searched together
    cfg = Config.fromfile(f'{CONFIGS}/retinanet_r18_shapes_search.py')
    init_default_scope('mmdet')
    cfg.donna.input_shape = (3, IMG, IMG)
    cfg.donna.blocks = [
        dict(path=p, options=DIVERSE[:1])
        for p in ('backbone.layer2', 'neck.fpn_convs.0')
    ]
    model = supernet_model(cfg)
    assert model['component'] == ['backbone', 'neck']
    supernet = MODELS.build(model)
    # FPN's first output conv: its lateral's 64 channels at stride 8
    assert [(b.path, b.in_shape, b.out_shape) for b in supernet.space.blocks
            ] == [('backbone.layer2', (32, 16, 16), (64, 8, 8)),
                  ('neck.fpn_convs.0', (64, 8, 8), (64, 8, 8))]
