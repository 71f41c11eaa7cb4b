"""``tools/search.py --stage bkd`` on the demo config: a killed BKD run
resumes (every stage continues what its work dir holds), and BKD runs under
MMEngine's launcher with 2 CPU processes (gloo)."""
import glob
import os
import os.path as osp
import signal
import subprocess
import sys
import time

from .conftest import DEMO_CFG, ROOT


def _opts(teacher_dir, epochs):
    # --verbose: the Runner's log on the console, where the test reads it
    return [
        '--stage', 'bkd', '--verbose', '--cfg-options',
        f'donna.teacher_checkpoint={teacher_dir}',
        f'donna.bkd.epochs={epochs}', 'default_hooks.logger.interval=5'
    ]


def _last_checkpoint(work_dir):
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.exists(marker):
        return ''
    with open(marker) as f:
        return f.read().strip()


def test_killed_bkd_resumes(digits_teacher, tmp_path):
    work = str(tmp_path / 'work')
    work_dir = osp.join(work, 'bkd')
    cmd = [sys.executable, 'tools/search.py', DEMO_CFG, '--work-dir', work
           ] + _opts(digits_teacher['work_dir'], 3)
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.time() + 600
    # mmengine writes `last_checkpoint` (what --resume reads) after the
    # checkpoint itself: a kill between the two would leave nothing to
    # resume from (the stock hook's order), so wait for the marker.
    while not _last_checkpoint(work_dir):
        assert proc.poll() is None, 'BKD exited before its first checkpoint'
        assert time.time() < deadline, 'no checkpoint within 10 minutes'
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)  # a hard kill mid-training
    proc.wait()
    assert not osp.exists(osp.join(work, 'block_library.json'))
    out = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    assert 'resumed epoch: ' in log, log[-3000:]
    resumed = int(log.split('resumed epoch: ')[1].split(',')[0])
    assert resumed >= 1
    assert f'Epoch(train) [{resumed}]' not in log  # not trained again
    assert osp.exists(osp.join(work_dir, 'epoch_3.pth'))
    assert osp.exists(osp.join(work, 'block_library.json'))


def test_bkd_under_launcher_with_two_processes(digits_teacher, tmp_path):
    work = str(tmp_path / 'ddp')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    cmd = [
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        '--master_port=29533', 'tools/search.py', DEMO_CFG, '--launcher',
        'pytorch', '--work-dir', work
    ] + _opts(digits_teacher['work_dir'], 1)
    out = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    assert 'Distributed launcher: pytorch' in log or 'world_size' in log
    # 2 processes split the 1,257 training digits: 10 iterations each
    assert 'Epoch(train) [1][10/10]' in log, log[-3000:]
    assert glob.glob(osp.join(work, 'bkd', 'epoch_1.pth'))
    assert osp.exists(osp.join(work, 'block_library.json'))
