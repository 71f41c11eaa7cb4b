"""The benchmarks run end to end in ``--quick`` mode: exit status 0, a JSON
report with the expected keys and finite numbers, and a last ``RESULT``
line that parses (each about a minute of CPU time on the digits)."""
import json
import math
import os
import os.path as osp
import re
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_quick(script: str, tmp_path) -> tuple:
    """Run ``benchmarks/<script> --quick`` in a subprocess; (last line,
    JSON report)."""
    out = osp.join(tmp_path, 'x.json')
    env = dict(os.environ, PYTHONPATH=ROOT)
    cmd = [
        sys.executable,
        osp.join('benchmarks', script), '--quick', '--work-dir',
        osp.join(tmp_path, 'work'), '--out', out
    ]
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(out) as f:
        report = json.load(f)
    return proc.stdout.strip().splitlines()[-1], report


def finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def test_finetune_speedup_quick(tmp_path):
    last, report = run_quick('finetune_speedup.py', str(tmp_path))
    m = re.fullmatch(
        r'RESULT epochs_to_scratch_accuracy bkd=(\d+|None) '
        r'scratch=(\d+|None)', last)
    assert m, last
    assert report['seeds'] == 2 and report['schedules'] == [1, 2]
    assert report['num_reinitialised_tensors'] > 0
    for arm in ('bkd', 'scratch'):
        r = report[arm]
        for length in (1, 2):
            c = r['schedules'][str(length)]
            assert len(c['per_seed']) == 2
            for key in ('mean', 'std', 'min', 'max'):
                assert len(c[key]) == length and all(map(finite, c[key]))
                assert all(0 <= a <= 100 for a in c[key])
            assert r['final_mean'][str(length)] == c['mean'][-1]
        assert set(
            r['epochs_to']) == {'top1_90', 'top1_95', 'scratch_final_mean'}
        # what the RESULT line says is what the report holds
        e = r['epochs_to']['scratch_final_mean']
        assert m.group(1 if arm == 'bkd' else 2) == str(e)
    # the from-scratch level is the final mean of its longest schedule
    s = report['scratch']
    assert report['targets']['scratch_final_mean'] == s['final_mean']['2']
    assert 1 <= s['epochs_to']['scratch_final_mean'] <= 2


def test_v1_vs_v2_cost_quick(tmp_path):
    last, report = run_quick('v1_vs_v2_cost.py', str(tmp_path))
    m = re.fullmatch(r'RESULT cost_v2_over_v1=(\S+) hv_v2_over_v1=(\S+)', last)
    assert m, last
    cost, hv = float(m.group(1)), float(m.group(2))
    assert finite(cost) and finite(hv)
    assert math.isclose(cost, report['cost_v2_over_v1'], rel_tol=1e-3)
    assert math.isclose(hv, report['hv_v2_over_v1'], rel_tol=1e-3)
    v1, v2 = report['cost']['v1'], report['cost']['v2']
    # v1 pays for its predictor's finetunes, v2 does not
    assert 'predictor' in v1['stages'] and 'predictor' not in v2['stages']
    for arm in (v1, v2):
        assert {'bkd', 'lut', 'filter', 'search', 'hil'} <= set(arm['stages'])
        assert finite(arm['cpu_s']) and arm['cpu_s'] > 0
        assert finite(arm['wall_s']) and arm['wall_s'] > 0
    # the shared BKD is counted once in each total, with the same cost
    assert v1['stages']['bkd'] == v2['stages']['bkd']
    for arm in ('v1', 'v2'):
        assert finite(report['hypervolume'][arm])
        assert report['hypervolume'][arm] > 0
        for p in report['finetuned'][arm]:
            assert 0 <= p['top1'] <= 100
            assert finite(p['latency_over_teacher'])
