"""The finetune stage resumes only a run of its own settings in its own
work dir: new settings start afresh (the old run moved aside), the same
settings resume, and a copied work dir finetunes into itself. The Runner is
a stand-in that resumes the way MMEngine's does (``last_checkpoint``)."""
import copy
import importlib
import json
import os
import os.path as osp
import shutil

import pytest
from mmengine.config import Config

from mmdonna.stages import DEFAULTS, StageContext, finetune
from mmdonna.stages.finetune_run import RUN_RECORD, recorded_hash

# the modules (the package exports functions of the same names)
FINETUNE = importlib.import_module('mmdonna.stages.finetune')
RUN_ONCE = importlib.import_module('mmdonna.stages.run_once')


class Killed(Exception):
    pass


class FakeRunner:
    """Resumes from ``<work_dir>/last_checkpoint`` when ``cfg.resume``;
    "trains" by writing it (or dies first); validates to the lr of the run
    it continued."""
    log = []
    die = False

    def __init__(self, cfg, work_dir, *args):
        self.cfg, self.work_dir = cfg, work_dir
        self.lr = cfg.optim_wrapper.optimizer.lr
        self.val_loop = self

    def train(self):
        last = osp.join(self.work_dir, 'last_checkpoint')
        start = None
        if self.cfg.resume and osp.exists(last):
            start = open(last).read()
        FakeRunner.log.append(dict(work_dir=self.work_dir, start=start))
        os.makedirs(self.work_dir, exist_ok=True)
        with open(last, 'w') as f:
            f.write(start or f'lr={self.lr}')
        if FakeRunner.die:
            raise Killed

    def run(self):
        return {
            'accuracy/top1':
            float(open(osp.join(self.work_dir, 'last_checkpoint')).read()[3:])
        }


@pytest.fixture
def fake_runner(monkeypatch):
    monkeypatch.setattr(RUN_ONCE, 'build_runner', FakeRunner)
    monkeypatch.setattr(FINETUNE, 'evaluate_teacher', lambda ctx: 1.0)
    FakeRunner.log, FakeRunner.die = [], False
    return FakeRunner


def _export(work_dir, work_dir_in_file):
    """A subnet as the export stage writes it (the finetune stage only
    loads, overrides and runs it)."""
    sub = osp.join(work_dir, 'subnets')
    os.makedirs(sub)
    Config(
        dict(
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
            model=dict(student_checkpoint='{{ fileDirname }}/a.pth'),
            work_dir=work_dir_in_file,
            donna_meta=dict(code=[0]))).dump(osp.join(sub, 'a.py'))
    with open(osp.join(sub, 'a.pth'), 'wb') as f:
        f.write(b'weights')


def _ctx(work_dir, lr=None):
    ft = dict(
        copy.deepcopy(DEFAULTS['finetune']),
        models='fastest',
        metric='accuracy/top1')
    if lr is not None:
        ft['cfg_options'] = dict(optim_wrapper=dict(optimizer=dict(lr=lr)))
    ctx = StageContext(
        Config(dict()),
        work_dir,
        settings=dict(finetune=ft, bkd=dict(bn_calib_batches=0)))
    arch = dict(
        name='a',
        latency_lut_ms=1.0,
        latency_measured_ms=1.0,
        surrogate=1.0,
        params=1)
    ctx.pareto = dict(
        targets=dict(
            flops=dict(metric='min_ms', teacher=dict(), front=[arch])))
    return ctx


def _metric(ctx):
    """What the stage reports for ``a`` (``finetune_results.json``)."""
    finetune(ctx)
    with open(ctx.path('finetune_results.json')) as f:
        rows = json.load(f)['rows']
    return [r['metric'] for r in rows if r['name'] == 'a'][0]


def test_new_settings_start_afresh_same_settings_resume(fake_runner, tmp_path):
    work = str(tmp_path / 'work')
    _export(work, '{{ fileDirname }}/../finetune/a')
    run_dir = osp.join(work, 'finetune', 'a')
    fake_runner.die = True
    with pytest.raises(Killed):
        finetune(_ctx(work))  # lr 0.1, killed
    old = recorded_hash(run_dir)
    assert fake_runner.log[-1]['start'] is None
    # the finetune settings change: the lr=0.1 run is not continued
    with pytest.raises(Killed):
        finetune(_ctx(work, lr=0.01))
    assert fake_runner.log[-1] == dict(work_dir=run_dir, start=None)
    assert old is not None
    aside = f'{run_dir}.{old}'
    assert open(osp.join(aside, 'last_checkpoint')).read() == 'lr=0.1'
    assert recorded_hash(run_dir) not in (None, old)
    # the same settings again: resumed, and its own result reported
    fake_runner.die = False
    assert _metric(_ctx(work, lr=0.01)) == 0.01
    assert fake_runner.log[-1] == dict(work_dir=run_dir, start='lr=0.01')
    # finished: skipped; back to lr 0.1: a fresh run, not the lr 0.01 one
    n = len(fake_runner.log)
    ctx = _ctx(work, lr=0.01)
    assert _metric(ctx) == 0.01 and len(fake_runner.log) == n
    assert ctx.rows[-1][1] == 'skipped'
    assert _metric(_ctx(work)) == 0.1
    assert fake_runner.log[-1]['start'] is None
    assert len([
        d for d in os.listdir(osp.dirname(run_dir)) if d.startswith('a.')
    ]) == 2


def test_a_copied_work_dir_finetunes_into_itself(fake_runner, tmp_path):
    src, dst = str(tmp_path / 'src'), str(tmp_path / 'dst')
    # an absolute work dir in the subnet config (older exports) is not used
    _export(src, osp.join(src, 'finetune', 'a'))
    fake_runner.die = True
    with pytest.raises(Killed):
        finetune(_ctx(src))
    shutil.copytree(src, dst)
    fake_runner.die = False
    assert _metric(_ctx(dst)) == 0.1
    # the copy continued its own run (same settings, paths relative)
    assert fake_runner.log[-1] == dict(
        work_dir=osp.join(dst, 'finetune', 'a'), start='lr=0.1')
    assert not osp.exists(osp.join(src, 'finetune', 'a', 'finetune_done.json'))
    assert osp.isfile(osp.join(dst, 'finetune', 'a', RUN_RECORD))
