"""Kill -9 inside every stage of ``tools/search.py``, rerun: the same block
library, front and subnets as an uninterrupted run of the same seed.

One reference run; then one work dir killed in each stage in turn (the
teacher, BKD, the library scoring, the LUT, the search, hardware in the
loop, the rerank, the export, the finetune), each rerun resuming what the
kill left, and finished once. The kill waits for a file or console line
that the stage writes while it runs (never a fixed sleep) and the test
checks the stage's done marker was absent at that moment.

The latency target is the FLOPs estimator: its "measurements" are
deterministic, so the LUT, the front and hardware in the loop must come out
equal too (a wall-clock estimator re-measures differently on every run, so
no front could be compared across runs at all)."""
import glob
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: Runs per stage before a kill that lands in it counts as impossible.
TRIES = 5
TINY = '''
_base_ = ['{root}/configs/classification/mobilenetv2_digits_search.py']
small = dict(batch_size=32, dataset=dict(indices=64))
# the teacher: the user's config, shortened to two epochs with a checkpoint
# after each, so a kill lands between them
train_cfg = dict(max_epochs=2, val_interval=2)
default_hooks = dict(checkpoint=dict(interval=1))
param_scheduler = dict(T_max=2)
train_dataloader = small
# four held-out batches: the library scoring saves its partial state after
# each, so a kill lands between two of them
val_dataloader = dict(batch_size=4, dataset=dict(indices=16))
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
    # three epochs: a checkpoint after each, so a kill lands between two
    bkd=dict(epochs=3, library_batches=4),
    # FLOPs are deterministic: equal LUTs and fronts across runs; two passes
    # so a LUT saved after one is partial
    latency=dict(targets=[dict(backend='flops')], calibrate=0, passes=2),
    filter=dict(max_cost_ratio=dict()),
    # NSGA-II (the exact front of 9 architectures takes a millisecond) for
    # many generations: it saves its state and random state after each
    search=dict(
        algorithm='nsga2', pop_size=6, n_gen=200, num_random_samples=50),
    finetune=dict(models='fastest', epochs=2),
    teacher_check=dict(min=0.0))
'''


class Tool:
    """``tools/search.py`` in its own process group; its console read by a
    thread."""

    def __init__(self, cfg: str, work: str):
        env = dict(
            os.environ,
            PYTHONPATH=ROOT,
            PYTHONUNBUFFERED='1',
            OMP_NUM_THREADS='1',
            MKL_NUM_THREADS='1')
        self.proc = subprocess.Popen([
            sys.executable,
            osp.join(ROOT, 'tools/search.py'), cfg, '--work-dir', work
        ],
                                     cwd=ROOT,
                                     env=env,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     text=True,
                                     start_new_session=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip('\n'))

    def printed(self, stage: str) -> bool:
        """The row of ``stage`` was printed (it ended)."""
        return any(
            line.partition(':')[0].strip() == stage for line in self.lines)

    def finish(self, timeout: float = 600) -> str:
        rc = self.proc.wait(timeout)
        self.reader.join(10)
        out = '\n'.join(self.lines)
        assert rc == 0, out[-4000:]
        return out

    def kill_when(self, ready, done, timeout: float = 600) -> bool:
        """SIGKILL the process group as soon as ``ready()``; whether the
        kill landed inside the stage: the run had not ended before
        ``ready()`` and ``done()`` (the stage's done marker) was false."""
        t_end = time.time() + timeout
        while not ready():
            if self.proc.poll() is not None:
                self.reader.join(10)
                return False  # the whole run ended first
            assert time.time() < t_end, 'no kill marker in time:\n' + (
                '\n'.join(self.lines[-30:]))
            time.sleep(0.02)
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(60)
        self.reader.join(10)
        return not done()


def _json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _exists(work, *pattern):
    return bool(glob.glob(osp.join(work, *pattern)))


def search_partial(work):
    """``search_state.json`` saved after a generation, not the last."""
    state = _json(osp.join(work, 'search_state.json'))
    return bool(state) and not state.get('final')


def stages(work):
    """Kill markers by stage: (what shows the stage runs, its done marker).
    """
    p = lambda *a: osp.join(work, *a)  # noqa: E731
    return [
        # its first epoch's checkpoint; done: its marker
        ('teacher', lambda t: osp.exists(p('teacher', 'epoch_1.pth')),
         lambda t: osp.exists(p('teacher', 'teacher_done.json'))),
        # BKD's first epoch checkpoint, before its last
        ('bkd', lambda t: osp.exists(p('bkd', 'epoch_1.pth')),
         lambda t: osp.exists(p('bkd', 'epoch_3.pth'))),
        # the library's resumable accumulator state
        ('library', lambda t: osp.exists(p('block_library.json.partial')),
         lambda t: osp.exists(p('bkd', 'bkd_done.json'))),
        # the LUT after its first saved entry
        ('latency LUT', lambda t: osp.exists(p('latency_lut.json')),
         lambda t: t.printed('latency LUT')),
        # the search state after a generation
        ('search', lambda t: search_partial(work),
         lambda t: t.printed('search')),
        # the first whole-model measurement
        ('hardware in the loop',
         lambda t: osp.exists(p('hil_measurements.json')),
         lambda t: osp.exists(p('pareto.json'))),
        # the one-shot score cache
        ('rerank', lambda t: osp.exists(p('rerank', 'one_shot_scores.json')),
         lambda t: t.printed('rerank')),
        # the first exported subnet
        ('export', lambda t: _exists(work, 'subnets', '*.pth'),
         lambda t: osp.exists(p('subnets', 'manifest.json'))),
        # the finetune run's first checkpoint
        ('finetune', lambda t: _exists(work, 'finetune', '*', 'epoch_1.pth'),
         lambda t: osp.exists(p('finetune_results.json'))),
    ]


def outcome(work):
    """What must not depend on kills: the library's NSR, the LUT, the
    front and its measurements, the rerank, the subnets' weights, the
    finetuned metric."""
    lib = _json(osp.join(work, 'block_library.json'))
    nsr = {
        path: [v for o in b['options'] for v in (o['nsr_mean'], o['nsr_std'])]
        for path, b in lib['blocks'].items()
    }
    pareto = _json(osp.join(work, 'pareto.json'))
    fronts = {
        t: [(a['code'], a['latency_lut_ms'], a['latency_measured_ms'],
             a.get('one_shot'), a.get('rerank_front')) for a in e['front']]
        for t, e in pareto['targets'].items()
    }
    subnets = {}
    for f in sorted(glob.glob(osp.join(work, 'subnets', '*.pth'))):
        sd = torch.load(f, map_location='cpu', weights_only=False)
        subnets[osp.basename(f)] = sd.get('state_dict', sd)
    results = _json(osp.join(work, 'finetune_results.json'))
    return nsr, fronts, subnets, results


def assert_same(ref, got):
    (nsr, fronts, subnets, results), (nsr2, fronts2, subnets2,
                                      results2) = ref, got
    # the same float ops on one thread from the same weights and batches:
    # the accumulator's JSON round trip is exact, so only a last-bit
    # difference could come from a changed summation order
    assert nsr.keys() == nsr2.keys()
    for path in nsr:
        assert nsr2[path] == pytest.approx(nsr[path], rel=1e-6), path
    assert fronts2 == fronts
    assert subnets2.keys() == subnets.keys()
    for name, sd in subnets.items():
        for k, v in sd.items():
            assert torch.equal(v, subnets2[name][k]), (name, k)
    # the finetune resumed from its epoch checkpoint: the same metric
    assert results is not None and results2 == results


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    base = tmp_path_factory.mktemp('kill')
    cfg = base / 'tiny_kill.py'
    cfg.write_text(TINY.format(root=ROOT))
    work = str(base / 'reference')
    Tool(str(cfg), work).finish()
    return dict(cfg=str(cfg), base=base, reference=outcome(work))


def test_kill_in_every_stage_then_finish(tiny):
    """A kill in each stage in turn. A fast stage (the LUT, hardware in the
    loop) can end between two polls; then the work dir is put back as it
    was before that run and the kill tried again (a few tries: a stage that
    always ends first fails the test)."""
    work = str(tiny['base'] / 'chain')
    before = str(tiny['base'] / 'before')
    killed = []
    for name, ready, done in stages(work):
        if osp.isdir(before):
            shutil.rmtree(before)
        if osp.isdir(work):
            shutil.copytree(work, before, symlinks=True)
        for _ in range(TRIES):
            t = Tool(tiny['cfg'], work)
            if t.kill_when(lambda: ready(t), lambda: done(t)):
                killed.append(name)
                break
            shutil.rmtree(work, ignore_errors=True)
            if osp.isdir(before):
                shutil.copytree(before, work, symlinks=True)
        else:
            pytest.fail(f'{name}: {TRIES} runs ended the stage before the '
                        f'kill')
    assert killed == [name for name, _, _ in stages(work)]
    out = Tool(tiny['cfg'], work).finish()
    assert 'finetune: done' in ' '.join(out.split()), out
    assert_same(tiny['reference'], outcome(work))
