"""Artefact identity: a moved or copied work dir continues where it stopped
(nothing redone, the original untouched), and an artefact of another run (a
block library of another BKD run, a LUT of another target, a teacher with
other weights) is never used. One finished work dir (the tiny config of
``test_search_tool``) is copied for every test."""
import json
import os
import os.path as osp
import shutil
import subprocess

import pytest
import torch

from tests.test_search.test_search_tool import STAGES, TINY, run_tool, tool

#: What a rerun rewrites even when every stage is skipped.
REWRITTEN = ('logs/', 'report.md', 'pareto.png', 'block_library.png')


def snapshot(work, keep_all=False):
    """``{relative path: mtime_ns}`` of every file under ``work`` (less the
    logs and the report a rerun rewrites, unless ``keep_all``)."""
    out = {}
    for root, _, files in os.walk(work):
        for f in files:
            rel = osp.relpath(osp.join(root, f), work).replace(os.sep, '/')
            if keep_all or not rel.startswith(REWRITTEN):
                out[rel] = os.stat(osp.join(root, f)).st_mtime_ns
    return out


@pytest.fixture(scope='module')
def finished(tmp_path_factory):
    """The config and a finished work dir (never written by the tests)."""
    tmp = tmp_path_factory.mktemp('identity')
    work = str(tmp / 'work')
    cfg = tmp / 'tiny_search.py'
    cfg.write_text(
        TINY.format(
            root=osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
            work=work))
    first = run_tool(str(cfg), work)
    assert first['bkd'] == 'done' and first['export'] == 'done', first
    return str(cfg), work


def copy_of(finished, tmp_path, name='copy'):
    """A copy of the finished work dir, file times kept."""
    cfg, work = finished
    dst = str(tmp_path / name)
    shutil.copytree(work, dst)
    return cfg, dst


def all_skipped(status):
    for stage in STAGES:
        assert status[stage] == 'skipped', (stage, status)


def refused(cfg, work, *names):
    """The tool's one-line refusal (status 2) naming every one of
    ``names``."""
    proc = tool(cfg, work)
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    (line, ) = proc.stderr.strip().splitlines()
    assert line.startswith('error: '), line
    for name in names:
        assert name in line, (name, line)
    return line


def test_moved_work_dir_continues(finished, tmp_path):
    cfg, work = copy_of(finished, tmp_path)
    before = snapshot(work)
    moved = str(tmp_path / 'moved')
    os.rename(work, moved)  # mv
    all_skipped(run_tool(cfg, moved))
    assert snapshot(moved) == before


def test_copied_work_dir_continues_and_leaves_the_original(finished, tmp_path):
    cfg, work = finished
    original = snapshot(work, keep_all=True)
    copy = str(tmp_path / 'cp')
    subprocess.run(['cp', '-r', work, copy], check=True)
    before = snapshot(copy)
    all_skipped(run_tool(cfg, copy))
    assert snapshot(copy) == before
    assert snapshot(work, keep_all=True) == original
    # the exported subnets' configs point into the copy, not the original
    for py in os.listdir(osp.join(copy, 'subnets')):
        if py.endswith('.py'):
            assert work not in open(osp.join(copy, 'subnets', py)).read()


def test_block_library_of_another_bkd_run_is_refused(finished, tmp_path):
    cfg, work = copy_of(finished, tmp_path)
    lib_file = osp.join(work, 'block_library.json')
    lib = json.load(open(lib_file))
    assert lib['bkd_hash'] and lib['bkd_checkpoint_digest']
    # what BKD with another teacher, schedule or seed over the same space
    # writes: the same space fingerprint, another BKD run
    lib['bkd_hash'] = '0123456789abcdef'
    for block in lib['blocks'].values():
        for o in block['options']:
            o['nsr_mean'] = 0.5
    with open(lib_file, 'w') as f:
        json.dump(lib, f)
    before = snapshot(work)
    line = refused(cfg, work, 'block_library.json', '--stage bkd', 'delete it')
    assert 'another BKD run' in line
    assert snapshot(work) == before
    # the fix it names: --stage bkd scores it again with this run
    status = run_tool(cfg, work, '--stage', 'bkd')
    assert status['bkd'] == 'skipped' and status['library'] == 'rescored'
    assert json.load(open(lib_file))['bkd_hash'] == json.load(
        open(osp.join(finished[1], 'block_library.json')))['bkd_hash']


def test_latency_lut_of_another_target_or_space_is_refused(finished, tmp_path):
    for key, value in (('target_id', 'another-device'), ('config_hash',
                                                         '0123456789abcdef')):
        cfg, work = copy_of(finished, tmp_path, key)
        lut_file = osp.join(work, 'latency_lut.json')
        lut = json.load(open(lut_file))
        lut[key] = value
        with open(lut_file, 'w') as f:
            json.dump(lut, f)
        before = snapshot(work)
        # refused in one line, nothing measured again or written
        refused(cfg, work, 'latency_lut.json')
        assert snapshot(work) == before


def _other_weights(ckpt):
    state = torch.load(ckpt, map_location='cpu', weights_only=False)
    for v in state['state_dict'].values():
        if v.is_floating_point():
            v.add_(0.1)
    torch.save(dict(state_dict=state['state_dict']), ckpt)


def test_teacher_with_other_weights_reuses_nothing(finished, tmp_path):
    # the trained teacher replaced in the work dir: refused in one line
    cfg, work = copy_of(finished, tmp_path, 'trained')
    _other_weights(osp.join(work, 'teacher', 'epoch_1.pth'))
    before = snapshot(work)
    refused(cfg, work, 'epoch_1.pth', 'donna.teacher_checkpoint')
    assert snapshot(work) == before

    # a given teacher (donna.teacher_checkpoint) whose weights change: BKD,
    # distilled from the old weights, is not reused
    cfg, work = copy_of(finished, tmp_path, 'given')
    given = str(tmp_path / 'teacher.pth')
    shutil.copy(osp.join(work, 'teacher', 'epoch_1.pth'), given)
    opt = f'donna.teacher_checkpoint={given}'
    status = run_tool(cfg, work, '--cfg-options', opt)
    assert status['teacher'] == 'given' and status['bkd'] == 'skipped'
    _other_weights(given)
    before = snapshot(work)
    proc = tool(cfg, work, '--cfg-options', opt)
    assert proc.returncode == 2, proc.stdout[-3000:]
    (line, ) = proc.stderr.strip().splitlines()
    assert 'bkd' in line, line
    assert snapshot(work) == before
    # the fix it names (delete bkd/): BKD and everything cut from its
    # weights is redone, no subnet of the old weights is kept
    shutil.rmtree(osp.join(work, 'bkd'))
    status = run_tool(cfg, work, '--cfg-options', opt)
    for stage in ('teacher check', 'bkd', 'library', 'export'):
        assert status[stage] == 'done', (stage, status)
    for name in ('block_library.json', 'finetune/teacher_eval/eval_done.json'):
        assert os.stat(osp.join(work, name)).st_mtime_ns != before[name], name
    pareto = json.load(open(osp.join(work, 'pareto.json')))
    for entry in pareto['targets'].values():
        for a in entry['front']:
            pth = f'subnets/{a["name"]}.pth'
            assert os.stat(osp.join(work, pth)).st_mtime_ns != before.get(pth)
