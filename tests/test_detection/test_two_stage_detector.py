"""A stock two-stage detector (a shrunk mmdet Faster R-CNN R18-FPN) goes
through every whole-model call: the supernet's shape probe, the model's
tensor outputs, the LUT's fixed part and BKD steps."""
import copy

import numpy as np
import torch
from mmengine.hub import get_config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mmdonna.latency import FlopsEstimator
from mmdonna.registry import MODELS
from mmdonna.supernet.arch_model import TensorForward
from mmdonna.utils.model_call import dummy_data_samples, tensor_call

IMG = 64
PATHS = ['backbone.layer2', 'backbone.layer3']


def tiny_faster_rcnn() -> dict:
    """mmdet's stock Faster R-CNN config at ResNet-18 depth, 8 base
    channels and 16-channel FPN/heads (seconds on a CPU)."""
    m = copy.deepcopy(
        get_config('mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py').model)
    m.backbone.update(depth=18, base_channels=8, init_cfg=None)
    m.neck.update(in_channels=[8, 16, 32, 64], out_channels=16)
    m.rpn_head.update(in_channels=16, feat_channels=16)
    m.roi_head.bbox_roi_extractor.out_channels = 16
    m.roi_head.bbox_head.update(in_channels=16, fc_out_channels=32)
    m.test_cfg.rpn.update(nms_pre=50, max_per_img=20)
    m.train_cfg.rpn_proposal.update(nms_pre=50, max_per_img=20)
    return m


def build_supernet():
    init_default_scope('mmdet')
    return MODELS.build(
        dict(
            type='mmdonna.DonnaSupernet',
            teacher=tiny_faster_rcnn(),
            input_shape=(3, IMG, IMG),
            component='backbone',
            train_options='all',
            blocks=[
                dict(path=p, options=[dict(type='MBConv', expand=3)])
                for p in PATHS
            ]))


def test_faster_rcnn_whole_model_calls():
    model = build_supernet()
    assert [b.out_shape for b in model.space.blocks] == [(16, 8, 8),
                                                         (32, 4, 4)]
    x = torch.zeros(1, 3, IMG, IMG)
    samples = dummy_data_samples(model.teacher, x)
    assert samples[0].batch_input_shape == (IMG, IMG)
    # the RoI head's raw outputs, for the teacher and an assembled model
    with torch.no_grad():
        for net in (model.teacher, model.assemble([0, 0])):
            (cls, reg), = tensor_call(net.eval(), x)
            assert cls.shape[1] == 81 and reg.shape[1] == 320
            out = TensorForward(net)(x)
            assert torch.equal(out[0][0], cls)
    # the LUT's fixed part: the whole teacher's FLOPs
    r = FlopsEstimator().measure(
        TensorForward(model.teacher), (1, 3, IMG, IMG))
    assert r['mean_ms'] > 0


def test_faster_rcnn_bkd_steps():
    from mmdet.structures import DetDataSample
    model = build_supernet()
    optim = build_optim_wrapper(model,
                                dict(optimizer=dict(type='Adam', lr=1e-2)))
    data = dict(
        inputs=[torch.randint(0, 255, (3, IMG, IMG)).byte()] * 2,
        data_samples=[
            DetDataSample(metainfo=dict(img_shape=(IMG, IMG)))
            for _ in range(2)
        ])
    for _ in range(2):
        losses = model.train_step(data, optim)
    assert set(losses) == {'loss_block0', 'loss_block1', 'loss'}
    assert all(torch.isfinite(v) for v in losses.values())


def test_faster_rcnn_latency_up_to_the_rpn_outputs(tmp_path):
    """ONNX cannot trace the RPN's NMS: whole-model latency covers the
    detector up to the RPN head's raw outputs, recorded as the LUT's
    scope."""
    from mmdonna.latency import LatencyLUT, OnnxRuntimeEstimator
    from mmdonna.supernet.latency_forward import LatencyForward
    model = build_supernet()
    whole = LatencyForward(model.teacher)
    assert whole.scope == 'dense'
    est = OnnxRuntimeEstimator(warmup=0, repeats=1)
    lut = LatencyLUT.build(
        model.teacher,
        model.space,
        est, (3, IMG, IMG),
        out_file=str(tmp_path / 'lut.json'),
        calibrate=0,
        progress=False)
    assert lut.complete and lut.scope == 'dense'
    assert 0 < lut.teacher_ms < float('inf')
    # the deployable ONNX of a two-stage detector: the same tensors
    from mmdonna.export.onnx_export import export_onnx
    diff = export_onnx(model.teacher, (1, 3, IMG, IMG),
                       str(tmp_path / 'frcnn.onnx'))
    assert diff < 1e-3
    # a classifier-style whole call stays whole
    assert LatencyForward(torch.nn.Identity()).scope == 'model'


def test_faster_rcnn_bkd_runner_steps(tmp_path):
    """The derived BKD run of a Faster R-CNN teacher trains 2 steps (8
    generated images, batch 4) with the stock Runner."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmdonna.stages import bkd_config
    from .utils import CONFIGS, save_teacher, shrink_loader
    cfg = Config.fromfile(f'{CONFIGS}/retinanet_r18_shapes_search.py')
    model = tiny_faster_rcnn()
    model.roi_head.bbox_head.num_classes = 3
    cfg.model = model
    root = str(tmp_path / 'data') + '/'
    cfg.train_dataloader = shrink_loader(cfg.train_dataloader, root, 8, 4)
    cfg.val_dataloader = shrink_loader(cfg.val_dataloader, root, 4, 4)
    cfg.donna.update(
        teacher_checkpoint=save_teacher(cfg.model,
                                        str(tmp_path / 'teacher.pth')),
        input_shape=(3, IMG, IMG),
        blocks=[
            dict(path=p, options=[dict(type='MBConv', expand=3)])
            for p in PATHS
        ],
        bkd=dict(epochs=1, lr=1e-2, train_options='all'))
    bcfg = bkd_config(cfg, cfg.donna.teacher_checkpoint)
    bcfg.custom_hooks = []  # no block library: the steps are the point
    bcfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(bcfg)
    runner.train()
    assert runner.iter == 2
    hist = runner.message_hub.get_scalar('train/loss_block1').data[0]
    assert len(hist) == 2 and all(np.isfinite(hist))
