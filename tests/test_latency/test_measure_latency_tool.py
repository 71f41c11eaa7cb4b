"""tools/measure_latency.py on the demo's donna config, in a subprocess, and
its whole-model mode on a plain (non-supernet) model config."""
import json
import os
import os.path as osp
import subprocess
import sys

from mmengine.config import Config

from mmdonna.latency import run_measure_latency

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'measure_latency.py')
DEMO = osp.join(ROOT, 'configs', 'classification',
                'mobilenetv2_digits_search.py')


def _run(args, cwd):
    proc = subprocess.run(
        [sys.executable, TOOL] + args,
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=ROOT),
        capture_output=True,
        text=True,
        timeout=900)
    return proc


def _result(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith('RESULT ')]
    return json.loads(line[-1][len('RESULT '):])


def test_lut_and_validation_on_the_digits_config(tmp_path):
    cfg = tmp_path / 'digits_latency.py'
    # the demo config with the host target, tiny repeats for speed
    cfg.write_text(f'_base_ = [{DEMO!r}]\n'
                   'donna = dict(latency=dict(\n'
                   '    targets=[dict(warmup=1, repeats=2)], calibrate=1,\n'
                   '    passes=1))\n')
    work = tmp_path / 'work'
    proc = _run([
        str(cfg), '--work-dir',
        str(work), '--lut', '--validate', '1', '--no-progress'
    ], tmp_path)
    out = _result(proc)
    lut = json.load(open(work / 'latency_lut.json'))
    assert lut['format'] == 'mmdonna.latency_lut.v1'
    assert lut['target_id'] == 'host-ort-cpu-1t-cputime'
    assert lut['metric'] == 'min_ms'
    assert len(lut['blocks']) == 5
    assert all(r['ok'] for b in lut['blocks'] for r in b['options'])
    v = out['validation']
    assert v['measured'] == 1 and v['archs'][0]['measured_ms'] > 0
    assert 'mean abs error' in proc.stdout
    assert out['lut']['teacher_ms'] > 0 and out['lut']['scale'] > 0
    assert osp.exists(work / 'latency_lut_validation.json')

    # a target that is not configured: one line, no traceback
    bad = _run([str(cfg), '--work-dir',
                str(work), '--target', 'adb-X'], tmp_path)
    assert bad.returncode != 0
    assert "error: --target 'adb-X' matches no target" in bad.stderr
    assert 'Traceback' not in bad.stderr


def test_whole_model_of_a_plain_model_config(tmp_path):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'classification',
                 'mobilenetv2_digits_teacher.py'))
    cfg.latency = dict(
        targets=[dict(backend='onnxruntime', warmup=1, repeats=3)],
        input_shape=(3, 48, 48))
    out = run_measure_latency(cfg, str(tmp_path), progress=False)
    assert out['input_shape'] == [1, 3, 48, 48]
    assert out['teacher']['ok'] and out['teacher']['repeats'] == 3
    assert out['teacher']['min_ms'] > 0
