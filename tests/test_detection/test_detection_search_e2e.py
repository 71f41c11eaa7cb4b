"""End to end on tiny settings: benchmarks/detection_search.py runs the
whole DONNA pipeline for a stock mmdet RetinaNet config (teacher, BKD on
detection images, library, LUT + fixed part, filter, NSGA-II, whole-detector
re-measurement, export), validates the LUT, finetunes a searched detector
with distillation and evaluates it and the teacher with CocoMetric."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DATA = '''
data_root = '{data}/'
gen = dict(img_size=128, min_size=16, max_size=40, max_objects=3)
train_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root,
                 generate=dict(num_images=8, seed=0, **gen)))
'''
SEARCH = '''
_base_ = ['{root}/configs/detection/retinanet_r18_shapes_search.py']
''' + DATA + '''
# the teacher: the stock config, shortened
val_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root,
                 generate=dict(num_images=4, seed=1, **gen)))
test_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root,
                 generate=dict(num_images=4, seed=2, **gen)))
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = dict(ann_file=data_root + 'annotations/test.json')
train_cfg = dict(max_epochs=1, val_interval=1)
# keep every box: a 1-epoch detector scores below the stock 0.05
model = dict(test_cfg=dict(score_thr=0.0))
param_scheduler = [dict(type='ConstantLR', factor=1.0)]
donna = dict(
    blocks=[
        dict(path='backbone.layer2',
             options=[dict(type='MBConv', kernel=3, expand=3),
                      dict(type='ResBlock', groups=4, width=0.5)]),
        dict(path='backbone.layer3',
             options=[dict(type='MBConv', kernel=3, expand=3),
                      dict(type='ResBlock')]),
    ],
    bkd=dict(epochs=1),
    latency=dict(targets=[dict(warmup=1, repeats=3)], calibrate=0, passes=1),
    filter=dict(max_cost_ratio=dict()),
    search=dict(pop_size=4, n_gen=2, num_random_samples=8),
    finetune=dict(epochs=1))
'''


def test_detection_benchmark_end_to_end_on_tiny_settings(tmp_path):
    fmt = dict(root=ROOT, tmp=str(tmp_path), data=str(tmp_path / 'data'))
    cfg = tmp_path / 'tiny_search.py'
    cfg.write_text(SEARCH.format(**fmt))
    work = tmp_path / 'work'
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'benchmarks', 'detection_search.py'), '--config',
        str(cfg), '--work-dir',
        str(work), '--validate', '2'
    ],
                          cwd=str(tmp_path),
                          env=dict(os.environ, PYTHONPATH=ROOT),
                          capture_output=True,
                          text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = json.loads((work / 'detection_benchmark.json').read_text())
    assert [s[0] for s in res['stages']
            ][:4] == ['teacher', 'teacher check', 'bkd', 'library']
    assert [s[0] for s in res['stages']][-2:] == ['finetune', 'report']
    # the benchmark builds the LUT first (alternating with its validation)
    # and the search reuses it
    status = {s[0]: s[1] for s in res['stages']}
    assert status.pop('latency LUT') == 'skipped'
    assert all(s == 'done' for s in status.values()), res['stages']
    # the teacher and the finetuned detector evaluated by CocoMetric
    logs = proc.stdout + proc.stderr
    assert 'results of the whole dataset is empty' not in logs
    assert res['metric'] == 'coco/bbox_mAP'
    assert 0.0 <= res['teacher']['metric'] <= 1.0
    (row, ) = res['rows']
    assert 0.0 <= row['metric'] <= 1.0
    assert 0.0 <= row['bkd_init']['coco/bbox_mAP'] <= 1.0
    # the benchmark's own evaluation of the finetuned checkpoint and of the
    # teacher (all COCO figures) reproduces the pipeline's mAP
    assert abs(row['coco']['coco/bbox_mAP'] - row['metric']) < 1e-6
    assert abs(res['teacher']['coco']['coco/bbox_mAP'] -
               res['teacher']['metric']) < 1e-6
    assert 0.0 <= row['coco']['coco/bbox_mAP_50'] <= 1.0
    # the control: the teacher trained with the finetuning schedule
    control = res['control']
    assert control['name'] == 'teacher +1 epochs'
    assert 0.0 <= control['coco']['coco/bbox_mAP'] <= 1.0
    assert (work / 'eval' / 'teacher_control' / 'epoch_1.pth').exists()
    # whole-detector latency: the searched one measured faster than the
    # teacher, and the LUT (blocks + fixed part) validated on 2 detectors
    assert row['latency_ms'] < res['teacher']['latency_ms']
    v = res['validation']
    assert v['measured'] == 2 and v['mean_abs_pct_error'] >= 0
    assert v['passes'] == 1
    assert 0 < v['fixed_pct_of_teacher'] < 100
    # the finetuned subnet is a plain mmdet detector config with the
    # searched DonnaBackbone in the stock neck/head, distilling FPN outputs
    sub = Config.fromfile(str(work / 'subnets' / (row['name'] + '.py')))
    assert sub.model.student.type == 'RetinaNet'
    assert sub.model.student.backbone.type == 'mmdonna.DonnaBackbone'
    assert sub.model.distill[0].student == 'neck.fpn_convs.0'
    ft = work / 'finetune' / row['name']
    assert (ft / 'epoch_1.pth').exists()
    assert 'ratio: searched detector' in proc.stdout

    # the trio's finetune config points at the fastest exported subnet of
    # work_dirs/<search config>/ and only lengthens its schedule
    layout = tmp_path / 'repo'
    os.makedirs(layout / 'configs' / 'detection')
    shutil.copytree(
        work / 'subnets',
        layout / 'work_dirs' / 'retinanet_r18_shapes_search' / 'subnets')
    shutil.copy(
        osp.join(ROOT, 'configs', 'detection',
                 'retinanet_r18_shapes_finetune.py'),
        layout / 'configs' / 'detection')
    ft = Config.fromfile(
        str(layout / 'configs/detection/retinanet_r18_shapes_finetune.py'))
    pareto = json.loads((work / 'pareto.json').read_text())
    (entry, ) = pareto['targets'].values()
    # (the copy names the files of its own folder: compare with it)
    fastest = Config.fromfile(
        str(layout / 'work_dirs' / 'retinanet_r18_shapes_search' / 'subnets' /
            (entry['front'][0]['name'] + '.py')))
    assert entry['front'][0]['name'].endswith('_arch00')
    assert ft.model.student == fastest.model.student
    assert ft.model.type == 'mmdonna.DonnaKDModel'
    assert ft.train_cfg.max_epochs > sub.train_cfg.max_epochs
