"""``benchmarks/pareto_vs_baselines.py --quick``: the whole benchmark (search,
found / random / scaled arms, latency, finetunes, hypervolume, plot) runs on
tiny budgets and writes its summary."""
import json
import math
import os
import os.path as osp
import re
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_quick_run_writes_summary(tmp_path):
    out = tmp_path / 'summary.json'
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([
        sys.executable, 'benchmarks/pareto_vs_baselines.py', 'classification',
        '--quick', '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(out)
    ],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    m = re.fullmatch(
        r'RESULT quick hv_vs_scaled=(\S+) hv_vs_random=(\S+) '
        r'latency_at_equal_quality=(\S+) hv_vs_scaled_same=(\S+)', last)
    assert m, last
    report = json.loads(out.read_text())
    sets = {m['set'] for m in report['models'].values()}
    assert sets == {'found', 'random', 'scaled_same', 'scaled_equal'}
    for name, model in report['models'].items():
        assert len(model['per_seed']) == report['seeds'], name
        assert math.isfinite(model['quality']), name
        assert model['latency'] > 0, name
        assert model['params'] > 0, name
    # the equal-compute budget adds the measured BKD cost
    length = report['finetune_length']
    assert length['equal'] == length['same'] + \
        report['cost']['bkd_in_teacher_units']
    assert report['cost']['clock'] == 'cpu'
    assert report['cost']['bkd_cpu_s'] > 0
    assert report['cost']['teacher_cpu_s'] > 0
    assert set(report['hv']) == sets
    png = tmp_path / 'work' / 'classification' / \
        'pareto_vs_baselines_classification.png'
    assert png.stat().st_size > 0
