"""``tools/search.py CONFIG`` end to end in a subprocess, from nothing (no
teacher checkpoint) on a tiny version of the digits search config; a second
run skips every stage."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = '''
_base_ = ['{root}/configs/classification/mobilenetv2_digits_search.py']
small = dict(batch_size=32, dataset=dict(indices=64))
# the teacher: the user's config, shortened
train_cfg = dict(max_epochs=1)
train_dataloader = small
val_dataloader = dict(dataset=dict(indices=16))
donna = dict(
    _delete_=True,
    blocks=[
        dict(path='backbone.layer2',
             options=[dict(type='MBConv', kernel=3, expand=[3, 6])]),
        dict(path='backbone.layer3',
             options=[dict(type='MBConv', kernel=3, expand=[3, 6]),
                      dict(type='ResBlock')]),
    ],
    input_shape=(3, 32, 32),
    teacher_checkpoint=None,  # train it
    bkd=dict(epochs=1, library_batches=1),
    latency=dict(targets=[dict(warmup=1, repeats=3)], calibrate=0, passes=1),
    filter=dict(max_cost_ratio=dict()),
    search=dict(pop_size=6, n_gen=3, num_random_samples=50),
    finetune=dict(models=None),  # finetuning has its own tests
    # a 1-epoch teacher on 64 images is at chance: the check runs (and is
    # tested on its own), the floor is lifted for this test of the stages
    teacher_check=dict(min=0.0))
'''
STAGES = ('teacher', 'bkd', 'library', 'latency LUT', 'filter', 'search',
          'hardware in the loop', 'rerank', 'export')


def tool(cfg, work, *args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/search.py'), cfg, '--work-dir', work, *args
    ],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=1200)


def run_tool(cfg, work, *args):
    """The tool's rows by stage; its console is quiet: one line per stage,
    the final table and where the work dir is, nothing on stderr."""
    proc = tool(cfg, work, *args)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert len(lines) <= 25, proc.stdout
    assert not proc.stderr.strip(), proc.stderr[-3000:]
    for noise in ('mmengine - INFO', 'Did not find last_checkpoint',
                  'Loads checkpoint', 'System environment', 'Config:'):
        assert noise not in proc.stdout, noise
    status = {}
    for line in lines:
        stage, _, rest = line.partition(':')
        if stage.strip() in STAGES + ('report', 'teacher check'):
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
    # the front re-ranked by one-shot quality: every member scored (a tiny
    # front), the teacher too, and the re-ranked front non-dominated in
    # (measured latency, one-shot accuracy)
    assert pareto['rerank']['metric'] == 'accuracy/top1'
    assert all(0 <= a['one_shot'] <= 100 for a in entry['front'])
    assert 0 <= entry['teacher']['one_shot'] <= 100
    kept = [a for a in entry['front'] if a['rerank_front']]
    assert kept
    for a in kept:
        assert not any(b['latency_measured_ms'] <= a['latency_measured_ms']
                       and b['one_shot'] >= a['one_shot'] and b is not a and
                       (b['latency_measured_ms'], b['one_shot']) !=
                       (a['latency_measured_ms'], a['one_shot'])
                       for b in entry['front'])
    assert osp.exists(osp.join(work, 'rerank', 'one_shot_scores.json'))
    for a in entry['front']:  # standalone subnets with BKD weights
        for ext in ('.py', '.pth'):
            assert osp.exists(osp.join(work, 'subnets', a['name'] + ext))
    report = open(osp.join(work, 'report.md')).read()
    for stage in ('teacher', 'bkd', 'search', 'hardware in the loop', 'rerank',
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
    # every Runner's full log went to its work dir
    logs = glob.glob(osp.join(work, 'teacher', '*', '*.log'))
    assert logs and 'Config:' in open(logs[0]).read()
    assert glob.glob(osp.join(work, 'logs', 'donna_*.log'))

    # one stage alone, the earlier ones only found
    third = run_tool(str(cfg), work, '--stage', 'search')
    assert list(third) == [
        'teacher', 'bkd', 'library', 'latency LUT', 'filter', 'search'
    ]
    # a stage whose inputs are missing: one line, status 2
    other = str(tmp_path / 'other')
    proc = tool(str(cfg), other, '--stage', 'lut')
    assert proc.returncode == 2, proc.stderr[-3000:]
    (line, ) = proc.stderr.strip().splitlines()
    assert line.startswith('error: ') and '--stage teacher' in line
