"""End to end on tiny settings: tools/search.py on a YOLOP search config
(teacher training, BKD of two encoder stages, block library, latency LUT +
measured fixed part (neck + three heads), KD filter, NSGA-II, whole-model
re-measurement, export, KD finetuning) and the project's evaluation of all
three tasks for the teacher and the found model."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

from mmengine.config import Config

from .yolop_test_utils import CONFIGS, ROOT

DATA = '''
data_root = '{data}/'
img_scale = (96, 64)
gen = dict(img_size=img_scale, max_vehicles=3)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdonna.LoadYOLOPAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Pad', size=img_scale, pad_val=dict(img=114, seg=0)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmdonna.PackYOLOPInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Pad', size=img_scale, pad_val=dict(img=114, seg=0)),
    dict(type='mmdonna.LoadYOLOPAnnotations'),
    dict(type='mmdonna.PackYOLOPInputs')
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root, pipeline=train_pipeline,
                 generate=dict(num_images=8, seed=0, **gen)))
val_loader = dict(
    batch_size=4, num_workers=0, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='mmdonna.BDD100KDataset', data_root=data_root,
                 split='val', test_mode=True, pipeline=test_pipeline,
                 generate=dict(num_images=4, seed=1, **gen)))
'''
SEARCH = '''
_base_ = ['{configs}/yolop_tiny_generated_search.py']
''' + DATA + '''
# the teacher: the stock config, shortened
val_dataloader = val_loader
test_dataloader = val_loader
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = [dict(type='ConstantLR', factor=1.0)]
custom_hooks = [dict(type='mmdonna.DetectorFitHook', input_shape=(3, 64, 96))]
donna = dict(
    input_shape=(3, 64, 96),
    blocks=[
        dict(path='backbone.stage2',
             options=[dict(type='MBConv', kernel=3, expand=3),
                      dict(type='ResBlock', groups=4, width=0.5)]),
        dict(path='backbone.stage3',
             options=[dict(type='MBConv', kernel=3, expand=3),
                      dict(type='ResBlock')]),
    ],
    bkd=dict(epochs=1),
    latency=dict(targets=[dict(warmup=1, repeats=3)], calibrate=0, passes=1),
    filter=dict(max_cost_ratio=dict()),
    search=dict(pop_size=4, n_gen=2, num_random_samples=8),
    finetune=dict(epochs=1))
'''
METRICS = ('yolop/det_mAP50', 'yolop/det_recall', 'yolop/da_mIoU',
           'yolop/ll_IoU', 'yolop/ll_acc')


def _run(args, cwd):
    proc = subprocess.run(
        [sys.executable] + args,
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True,
        timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_yolop_search_end_to_end_on_tiny_settings(tmp_path):
    fmt = dict(configs=CONFIGS, tmp=str(tmp_path), data=str(tmp_path / 'data'))
    cfg = tmp_path / 'tiny_search.py'
    cfg.write_text(SEARCH.format(**fmt))
    work = tmp_path / 'work'
    proc = _run([
        osp.join(ROOT, 'tools', 'search.py'),
        str(cfg), '--work-dir',
        str(work)
    ], str(tmp_path))
    out = proc.stdout
    for stage in ('teacher', 'bkd', 'library', 'export', 'finetune'):
        assert any(
            line.split(':')[0].strip() == stage and 'done' in line
            for line in out.splitlines()), (stage, out[-2000:])
    pareto = json.loads((work / 'pareto.json').read_text())
    (entry, ) = pareto['targets'].values()
    assert entry['front'] and entry['teacher']['latency_measured_ms'] > 0
    # the LUT holds the encoder options and the measured fixed part (stem,
    # neck and three heads), a real share of the whole model
    lut = json.loads((work / 'latency_lut.json').read_text())
    assert [b['path']
            for b in lut['blocks']] == ['backbone.stage2', 'backbone.stage3']

    # the exported subnet is the YOLOP model with a searched encoder in
    # the stock neck and heads, distilled at the neck outputs
    name = json.loads(
        (work / 'finetune_results.json').read_text())['rows'][1]['name']
    sub = Config.fromfile(str(work / 'subnets' / (name + '.py')))
    assert sub.model.type == 'mmdonna.DonnaKDModel'
    assert sub.model.student.type == 'mmdonna.YOLOP'
    assert sub.model.student.backbone.type == 'mmdonna.DonnaBackbone'
    assert sub.model.student.backbone.base.type == 'mmdet.CSPDarknet'
    assert sub.model.distill[0].student == 'neck.out_convs.0'
    assert (work / 'finetune' / name / 'epoch_1.pth').exists()

    # all three tasks evaluated for the teacher and the found model
    ev = _run([
        osp.join(ROOT, 'projects', 'yolop', 'tools', 'evaluate.py'),
        str(cfg), '--work-dir',
        str(work)
    ], str(tmp_path))
    rows = json.loads((work / 'yolop_results.json').read_text())['rows']
    assert [r['name'] for r in rows] == ['teacher', name]
    for r in rows:
        for k in METRICS:
            assert 0.0 <= r[k] <= 1.0, (k, r)
        assert r['latency_ms'] > 0 and r['params'] > 0
    assert '| teacher |' in ev.stdout and f'| {name} |' in ev.stdout

    # the trio's finetune config points at the fastest exported subnet of
    # work_dirs/<search config>/ and only lengthens its schedule
    layout = tmp_path / 'repo'
    os.makedirs(layout / 'projects' / 'yolop' / 'configs')
    shutil.copytree(
        work / 'subnets',
        layout / 'work_dirs' / 'yolop_tiny_generated_search' / 'subnets')
    shutil.copy(
        osp.join(CONFIGS, 'yolop_tiny_generated_finetune.py'),
        layout / 'projects' / 'yolop' / 'configs')
    ft = Config.fromfile(
        str(layout /
            'projects/yolop/configs/yolop_tiny_generated_finetune.py'))
    fastest = entry['front'][0]['name']
    assert fastest == 'host-ort-cpu-1t-cputime_arch00'
    # (the copy names the files of its own folder: compare with it)
    fastest = Config.fromfile(
        str(layout / 'work_dirs' / 'yolop_tiny_generated_search' / 'subnets' /
            (fastest + '.py')))
    assert ft.model.student == fastest.model.student
    assert ft.model.type == 'mmdonna.DonnaKDModel'
    assert ft.train_cfg.max_epochs > sub.train_cfg.max_epochs
