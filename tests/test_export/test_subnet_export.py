"""Exported subnet configs name the files of their work dir relative to
themselves: a copied work dir finetunes from and into itself. A search in
several components (a RetinaNet's backbone and FPN) exports one
DonnaBackbone per component, with the assembled network's weights."""
import copy
import os.path as osp
import shutil

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mmdonna.export import assemble_weights, export_subnet, student_config
from mmdonna.export.subnet_export import FILE_DIR
from mmdonna.registry import DATASETS, MODELS
from mmdonna.stages import supernet_model, teacher_config
from mmdonna.utils.model_call import tensor_call
from ..test_detection.utils import CONFIGS, IMG, shrink_loader
from .fixtures import tiny  # noqa: F401  (fixture)


def test_a_copied_work_dir_uses_its_own_files(tiny, tmp_path):  # noqa: F811
    src = str(tmp_path / 'src')
    py, pth = export_subnet(
        tiny['teacher_cfg'],
        tiny['teacher_checkpoint'],
        src,
        tiny['supernet'], [0, 0],
        'a',
        bn_calib_batches=0)
    text = open(py).read()
    assert src not in text  # no path into the work dir is absolute
    assert f"work_dir = '{FILE_DIR}/../finetune/a'" in text
    copy = str(tmp_path / 'copy')
    shutil.copytree(src, copy)
    shutil.rmtree(src)
    cfg = Config.fromfile(osp.join(copy, 'subnets', 'a.py'))
    assert osp.abspath(cfg.work_dir) == osp.join(copy, 'finetune', 'a')
    assert cfg.model.student_checkpoint == osp.join(copy, 'subnets', 'a.pth')
    assert osp.isfile(cfg.model.student_checkpoint)
    library = osp.abspath(cfg.model.student.backbone.library)
    assert library == osp.join(copy, 'block_library.json')
    # a teacher outside the work dir stays where it is
    assert cfg.model.teacher_checkpoint == tiny['teacher_checkpoint']


#: A RetinaNet searched in two components: two ResNet stages and the FPN's
#: first output conv (called once, on its 64-channel lateral at stride 8).
DET_BLOCKS = ['backbone.layer2', 'backbone.layer3', 'neck.fpn_convs.0']
DET_OPTIONS = [dict(type='MBConv', kernel=3, expand=3), dict(type='ResBlock')]


@pytest.fixture(scope='module')
def retinanet(tmp_path_factory):
    cfg = Config.fromfile(osp.join(CONFIGS, 'retinanet_r18_shapes_search.py'))
    cfg.donna.input_shape = (3, IMG, IMG)
    cfg.donna.blocks = [dict(path=p, options=DET_OPTIONS) for p in DET_BLOCKS]
    init_default_scope('mmdet')
    torch.manual_seed(0)
    supernet = MODELS.build(supernet_model(cfg))
    supernet.init_weights()
    ckpt = str(tmp_path_factory.mktemp('teacher') / 'teacher.pth')
    torch.save(dict(state_dict=supernet.teacher.state_dict()), ckpt)
    return dict(
        supernet=supernet,
        teacher_cfg=teacher_config(cfg),
        teacher_checkpoint=ckpt)


def test_backbone_and_neck_export_as_two_donna_backbones(retinanet, tmp_path):
    supernet = retinanet['supernet']
    code = [0, 1, 0]  # MBConv, ResBlock, MBConv in the FPN
    py, pth = export_subnet(
        retinanet['teacher_cfg'],
        retinanet['teacher_checkpoint'],
        str(tmp_path),
        supernet,
        code,
        'a',
        bn_calib_batches=0)
    cfg = Config.fromfile(py)
    student_cfg = cfg.model.student
    for comp, arch in (('backbone', ['layer2',
                                     'layer3']), ('neck', ['fpn_convs.0'])):
        assert student_cfg[comp].type == 'mmdonna.DonnaBackbone'
        assert student_cfg[comp].library_prefix == comp + '.'
        assert list(student_cfg[comp].arch) == arch
    assert student_cfg.neck.base.type == 'mmdet.FPN'
    assert student_cfg.neck.arch['fpn_convs.0'].option.type == 'MBConv'
    assert student_cfg.bbox_head == retinanet['teacher_cfg'].model.bbox_head
    # the exported config builds and its weights load strictly
    student = MODELS.build(copy.deepcopy(student_cfg))
    state = torch.load(pth, map_location='cpu')['state_dict']
    student.load_state_dict(state, strict=True)
    assert any(k.startswith('neck.base.fpn_convs.0.') for k in state)
    # the same network as the supernet's assembled model of this code
    assembled = supernet.assemble(code)
    student.eval()
    assembled.eval()
    assert_same_outputs(assembled, student)
    # finetuning distils the FPN levels through the neck's DonnaBackbone
    levels = [(d.student, d.teacher) for d in cfg.model.distill]
    assert levels[0] == ('neck.base.fpn_convs.0', 'neck.fpn_convs.0')
    assert len(levels) == 5
    kd = MODELS.build(copy.deepcopy(cfg.model))
    kd.init_weights()  # loads the exported weights into the student
    for k, v in kd.student.state_dict().items():
        assert torch.equal(v, state[k]), k


def test_a_type_less_component_exports_the_whole_model(retinanet):
    """A component its parent builds from a type-less dict (a DETR's
    encoder) cannot be replaced in the config: the subnet is a DonnaModel,
    the teacher's own class with its blocks replaced after it is built."""
    supernet, teacher_cfg = retinanet['supernet'], retinanet['teacher_cfg']
    code = [0, 1, 0]
    model_cfg = teacher_cfg.model.to_dict()
    assert student_config(
        model_cfg, supernet.space, code, None,
        'mmdet')['backbone']['type'] == 'mmdonna.DonnaBackbone'
    typeless = copy.deepcopy(model_cfg)
    typeless['neck'].pop('type')  # as DINO's encoder = dict(num_layers=...)
    cfg = student_config(typeless, supernet.space, code, None, 'mmdet')
    assert cfg['type'] == 'mmdonna.DonnaModel'
    assert list(cfg['arch']) == DET_BLOCKS
    assert cfg['base']['type'] == 'mmdet.RetinaNet'
    # built from the (typed) teacher config: the teacher's class and keys
    cfg['base'] = dict(model_cfg, type='mmdet.RetinaNet')
    student = MODELS.build(copy.deepcopy(cfg))
    assert type(student) is type(supernet.teacher)
    assert type(student.neck.fpn_convs[0]).__name__ == 'MBConv'
    state = assemble_weights(student, supernet.teacher, supernet.space, code,
                             supernet.export_option)
    assert set(state) == set(student.state_dict())
    assert any(k.startswith('neck.fpn_convs.0.') for k in state)
    student.eval()
    assembled = supernet.assemble(code).eval()
    assert_same_outputs(assembled, student)


def test_backbone_and_neck_finetune_together(retinanet, tmp_path):
    # one KD step of the exported detector on generated shapes: detection
    # and distillation losses, the searched blocks of both components learn
    py, _ = export_subnet(
        retinanet['teacher_cfg'],
        retinanet['teacher_checkpoint'],
        str(tmp_path),
        retinanet['supernet'], [0, 1, 0],
        'a',
        bn_calib_batches=0)
    cfg = Config.fromfile(py)
    init_default_scope('mmdet')
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    loader = shrink_loader(cfg.train_dataloader,
                           str(tmp_path / 'data') + '/', 2, 2)
    dataset = DATASETS.build(loader['dataset'])
    data = pseudo_collate([dataset[0], dataset[1]])
    optim = build_optim_wrapper(model,
                                dict(optimizer=dict(type='AdamW', lr=1e-3)))
    searched = ('backbone.base.layer2.', 'neck.base.fpn_convs.0.')
    before = {
        n: p.detach().clone()
        for n, p in model.student.named_parameters() if n.startswith(searched)
    }
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    model.train()
    losses = model.train_step(data, optim)
    assert len([k for k in losses if k.startswith('loss_distill')]) == 5
    assert all(torch.isfinite(v).all() for v in losses.values())
    after = dict(model.student.named_parameters())
    for prefix in searched:
        assert any(not torch.equal(after[n], v) for n, v in before.items()
                   if n.startswith(prefix)), prefix
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, teacher_before[k]), k


def test_weight_assembly_accounts_for_every_tensor(retinanet):
    supernet = retinanet['supernet']
    space, code = supernet.space, [0, 1, 0]
    model_cfg = student_config(retinanet['teacher_cfg'].model.to_dict(), space,
                               code, None, 'mmdet')
    # a teacher tensor of a searched component without a target
    teacher = copy.deepcopy(supernet.teacher)
    teacher.neck.register_buffer('extra', torch.zeros(1))
    with pytest.raises(RuntimeError, match=r"without a target \['neck.base"):
        assemble_weights(
            MODELS.build(copy.deepcopy(model_cfg)), teacher, space, code,
            supernet.export_option)
    # a student tensor of a searched component without a source
    student = MODELS.build(copy.deepcopy(model_cfg))
    student.neck.base.register_buffer('extra', torch.zeros(1))
    with pytest.raises(RuntimeError, match=r"source \['neck.base.extra'\]"):
        assemble_weights(student, supernet.teacher, space, code,
                         supernet.export_option)


def assert_same_outputs(assembled, student) -> None:
    """The two detectors give bit-equal raw outputs on one random batch."""
    x = torch.randn(2, 3, IMG, IMG, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = tensor_call(assembled, x), tensor_call(student, x)
    want, got = torch.cat([t.flatten() for t in _flat(want)
                           ]), torch.cat([t.flatten() for t in _flat(got)])
    assert want.numel() > 0 and torch.equal(want, got)


def _flat(out):
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for o in out for t in _flat(o)]
