"""benchmarks/model_zoo_sweep.py on four entries, in its own process as a
user runs it: a shrunk stock ResNet-18 classifier, RetinaNet-R50 detector
(cut in its backbone and its FPN, exported as two DonnaBackbones), Swin-T
(cut at Swin blocks, called ``block(x, hw_shape)`` on (N, L, C) tokens, with
the 'window_tokens' options) and DINO (cut in its backbone and a transformer
encoder layer, exported as a DonnaModel) pass every stage. (DeiT's one-input
token layers are covered by tests/test_supernet/test_token_supernet.py.)"""
import json
import os
import os.path as osp
import re
import subprocess
import sys

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SWEEP = osp.join(ROOT, 'benchmarks', 'model_zoo_sweep.py')


def sweep(*args: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    return subprocess.run([sys.executable, SWEEP, *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=900)


def test_model_zoo_sweep_four_entries(tmp_path):
    out = tmp_path / 'sweep.json'
    proc = sweep('--only', 'resnet18,retinanet_r50,swin_tiny,dino_r50',
                 '--work-dir', str(tmp_path / 'work'), '--out', str(out))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r'RESULT passed=(\d+)/(\d+)', last)
    assert m and (int(m[1]), int(m[2])) == (4, 4), last
    results = {r['name']: r for r in json.loads(out.read_text())['results']}
    for name in ('resnet18', 'retinanet_r50', 'swin_tiny', 'dino_r50'):
        r = results[name]
        assert set(r['status'].values()) == {'pass'}, r
        assert r['error'] is None
        # every stage did its work (nothing found done in a fresh work dir)
        done = {stage: status for stage, status, _ in r['rows']}
        assert done['teacher'] == done['bkd'] == 'done', r['rows']
        assert done['finetune'] == done['export'] == 'done', r['rows']
    # RetinaNet's backbone and FPN are searched together: its exported
    # subnets replace both components, each by its own DonnaBackbone
    subnets = sorted(
        (tmp_path / 'work' / 'retinanet_r50' / 'subnets').glob('*.py'))
    assert subnets
    for py in subnets:
        student = Config.fromfile(str(py)).model.student
        for comp, arch in (('backbone', ['layer2', 'layer3']),
                           ('neck', ['fpn_convs.0'])):
            assert student[comp].type == 'mmdonna.DonnaBackbone', py
            assert student[comp].library_prefix == comp + '.'
            assert list(student[comp].arch) == arch
        assert student.neck.base.type == 'mmdet.FPN'
    # DINO's encoder layer (called with positional encodings, masks and
    # reference points) is searched; the detector builds its encoder from a
    # type-less dict, so the subnets are whole DonnaModels of the DINO
    for py in (tmp_path / 'work' / 'dino_r50' / 'subnets').glob('*.py'):
        student = Config.fromfile(str(py)).model.student
        assert student.type == 'mmdonna.DonnaModel', py
        assert student.base.type == 'mmdet.DINO'
        assert list(student.arch) == ['backbone.layer3', 'encoder.layers.0']
    # Swin's exported subnets replace its blocks by token options
    subnets = tmp_path / 'work' / 'swin_tiny' / 'subnets'
    exported = ''.join(p.read_text() for p in subnets.glob('*.py'))
    assert "'stages.1.blocks.0'" in exported
    assert "layout='tokens'" in exported
    assert re.search(r"type='Token(WindowAttention|ConvMixer|MLP)'",
                     exported), exported
    # the table: a row per entry, every stage passed
    table = proc.stdout[proc.stdout.index('model '):]
    assert re.search(r'swin_tiny(\s+pass){13}', table), table
    # a rerun skips the recorded entries
    proc = sweep('--only', 'resnet18', '--work-dir', str(tmp_path / 'work'),
                 '--out', str(out))
    assert 'resnet18: recorded in' in proc.stdout
    assert proc.stdout.strip().endswith('RESULT passed=1/1')
