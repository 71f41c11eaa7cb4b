"""``tools/search.py CONFIG`` end to end in a subprocess, from nothing (no
teacher checkpoint) on a tiny version of the digits search config; a second
run skips every stage."""
import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = '''
_base_ = ['{root}/configs/classification/mobilenetv2_digits_search.py']
model = dict(
    teacher_checkpoint='{work}/no_such_teacher',
    blocks=[
        dict(path='backbone.layer2',
             options=[dict(type='MBConv', kernel=3, expand=[3, 6])]),
        dict(path='backbone.layer3',
             options=[dict(type='MBConv', kernel=3, expand=[3, 6]),
                      dict(type='ResBlock')]),
    ])
small = dict(batch_size=32, dataset=dict(indices=64))
teacher_cfg_options = dict(train_cfg=dict(max_epochs=1),
                           train_dataloader=small,
                           val_dataloader=dict(dataset=dict(indices=16)))
train_dataloader = small
bkd_train_cfg = dict(max_epochs=1)
bkd_custom_hooks = [
    dict(type='mmdonna.BlockLibraryHook', max_batches=1,
         dataloader=dict(batch_size=16, num_workers=0,
                         dataset=dict(type='mmdonna.DigitsDataset',
                                      split='val', img_size=32,
                                      pipeline=[dict(type='PackInputs')]),
                         sampler=dict(type='DefaultSampler', shuffle=False)))
]
latency = dict(
    targets=[dict(type='mmdonna.OnnxRuntimeEstimator', warmup=1,
                  repeats=3)],
    calibrate=0, passes=1)
kd_filter = dict(min_keep=2, max_cost_ratio=dict())
train_cfg = dict(pop_size=6, n_gen=3, num_random_samples=50)
finetune_front = dict(num=0)  # finetuning has its own tests
# a 1-epoch teacher on 64 images is at chance: the check runs (and is
# tested on its own), the floor is lifted for this test of the stages
teacher_check = dict(min=0.0)
'''
STAGES = ('teacher', 'bkd', 'library', 'latency LUT', 'filter', 'search',
          'hardware in the loop', 'export')


def run_tool(cfg, work):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/search.py'), cfg, '--work-dir', work
    ],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    status = {}
    for line in proc.stdout.splitlines():
        stage, _, rest = line.partition(':')
        if stage.strip() in STAGES + ('plots and report', 'teacher check'):
            status[stage.strip()] = rest.split()[0]
    return status


def test_search_tool_from_nothing_then_everything_skipped(tmp_path):
    work = str(tmp_path / 'work')
    cfg = tmp_path / 'tiny_search.py'
    cfg.write_text(TINY.format(root=ROOT, work=work))
    first = run_tool(str(cfg), work)
    assert first['teacher'] == 'done' and first['bkd'] == 'done'
    assert first['teacher check'] == 'done'
    for stage in STAGES[2:]:
        assert first[stage] == 'done', (stage, first)
    for f in ('teacher/teacher_done.json', 'bkd/bkd_done.json',
              'block_library.json', 'latency_lut.json', 'filtered_space.json',
              'search_state.json', 'hil_measurements.json', 'pareto.json',
              'pareto.png', 'block_library.png', 'report.md'):
        assert osp.getsize(osp.join(work, f)) > 0, f
    pareto = json.load(open(osp.join(work, 'pareto.json')))
    (target, entry), = pareto['targets'].items()
    assert entry['front'] and entry['teacher']['latency_measured_ms'] > 0
    for a in entry['front']:
        assert len(a['code']) == 2 and a['latency_measured_ms'] > 0
    for a in entry['front']:  # standalone subnets with BKD weights
        for ext in ('.py', '.pth'):
            assert osp.exists(osp.join(work, 'subnets', a['name'] + ext))
    report = open(osp.join(work, 'report.md')).read()
    for stage in ('teacher', 'bkd', 'search', 'hardware in the loop',
                  'export'):
        assert f'| {stage} | done |' in report

    mtimes = {
        f: osp.getmtime(osp.join(work, f))
        for f in ('pareto.json', 'block_library.json', 'latency_lut.json',
                  'bkd/bkd_done.json')
    }
    second = run_tool(str(cfg), work)
    for stage in STAGES:
        assert second[stage] == 'skipped', (stage, second)
    for f, t in mtimes.items():
        assert osp.getmtime(osp.join(work, f)) == t, f
