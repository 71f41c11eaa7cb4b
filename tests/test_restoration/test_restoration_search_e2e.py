"""End to end on tiny settings: tools/search.py's stages on the EDSR
search config (BKD, library, LUT, KD filter, NSGA-II, hardware in the
loop, export of the front into the stock mmagic editor, KD finetuning with
the stock Runner and mmagic's PSNR next to the teacher's) and ONNX export of
the finetuned model."""
import json
import os
import os.path as osp
import shutil

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import find_latest_checkpoint, load_checkpoint

from mmdonna.export.onnx_export import build_deploy_model, export_onnx
from mmdonna.registry import MODELS
from mmdonna.stages import run_stages, supernet_model
from .utils import CONFIGS, random_teacher_checkpoint, tiny_search_config


def test_sr_search_export_finetune_onnx(tmp_path):
    work_dir = str(tmp_path / 'search')
    os.makedirs(work_dir)
    teacher = random_teacher_checkpoint('sr', str(tmp_path / 'teacher.pth'))
    cfg = tiny_search_config('sr', teacher)
    ctx = run_stages(cfg, work_dir)
    stages = dict((s, status) for s, status, _ in ctx.rows)
    assert stages['teacher'] == 'given' and stages['bkd'] == 'done'
    assert stages['export'] == 'done' and stages['finetune'] == 'done'
    for name in ('block_library.json', 'latency_lut.json', 'pareto.json',
                 'report.md', 'pareto.png'):
        assert osp.exists(osp.join(work_dir, name)), name
    with open(osp.join(work_dir, 'pareto.json')) as f:
        pareto = json.load(f)
    (entry, ) = pareto['targets'].values()
    assert entry['teacher']['latency_measured_ms'] > 0
    front = entry['front']
    assert front and all(a['latency_measured_ms'] > 0 for a in front)
    lat = [a['latency_lut_ms'] for a in front]
    assert lat == sorted(lat)  # fastest first, surrogate falls along it
    sur = [a['surrogate'] for a in front]
    assert all(a >= b for a, b in zip(sur, sur[1:]))

    # the best front architecture, exported by the pipeline: the searched
    # body inside the stock editor, with the BKD weights
    py = osp.join(work_dir, 'subnets', front[-1]['name'] + '.py')
    sub = Config.fromfile(py)
    init_default_scope('mmagic')
    supernet = MODELS.build(supernet_model(cfg))
    load_checkpoint(
        supernet,
        find_latest_checkpoint(osp.join(work_dir, 'bkd')),
        map_location='cpu',
        logger='silent')
    student = sub.model.student
    assert student.type == 'BaseEditModel'
    assert student.generator.base.type == 'mmagic.EDSRNet'
    assert student.pixel_loss.type == 'L1Loss'
    x = torch.rand(1, 3, 12, 12)
    deployed = build_deploy_model(sub, py[:-3] + '.pth')
    expected = supernet.export_option('generator.body.1',
                                      front[-1]['code'][1]).eval()
    body = deployed.generator.base.body[1]
    with torch.no_grad():
        f = torch.randn(1, 16, 12, 12)
        torch.testing.assert_close(body(f), expected(f))
        assert deployed(x, mode='tensor').shape == (1, 3, 24, 24)

    # KD finetuning (the pipeline's last stage) with mmagic's PSNR
    with open(osp.join(work_dir, 'finetune_results.json')) as f:
        results = json.load(f)
    assert results['metric'] == 'PSNR'
    teacher_row, row = results['rows']
    assert teacher_row['name'] == 'teacher'
    assert np.isfinite(teacher_row['metric']) and teacher_row['metric'] > 5
    assert np.isfinite(row['metric']) and row['metric'] > 5
    assert row['latency_ms'] > 0
    ckpt = find_latest_checkpoint(osp.join(work_dir, 'finetune', row['name']))
    assert ckpt.endswith(f'iter_{sub.train_cfg.max_iters}.pth')
    model = build_deploy_model(
        Config.fromfile(osp.join(work_dir, 'subnets', row['name'] + '.py')),
        ckpt)
    diff = export_onnx(model, (1, 3, 16, 16), str(tmp_path / 'sr.onnx'))
    assert diff < 1e-3

    # the trio's finetune config points at the fastest exported subnet of
    # work_dirs/<search config>/ and only lengthens its schedule
    layout = tmp_path / 'repo'
    os.makedirs(layout / 'configs' / 'restoration')
    shutil.copytree(
        osp.join(work_dir, 'subnets'),
        layout / 'work_dirs' / 'edsr_skimage-x2_search' / 'subnets')
    shutil.copy(
        osp.join(CONFIGS, 'edsr_skimage-x2_finetune.py'),
        layout / 'configs' / 'restoration')
    ft = Config.fromfile(
        str(layout / 'configs/restoration/edsr_skimage-x2_finetune.py'))
    # (the copy names the files of its own folder: compare with it)
    fastest = Config.fromfile(
        str(layout / 'work_dirs' / 'edsr_skimage-x2_search' / 'subnets' /
            (front[0]['name'] + '.py')))
    assert ft.model.student == fastest.model.student
    assert ft.model.type == 'mmdonna.DonnaKDModel'
    assert ft.train_cfg.max_iters > sub.train_cfg.max_iters
