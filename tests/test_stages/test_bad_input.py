"""Bad input, one mistake per case: the whole config is checked before the
first stage runs, the error is one line naming the key or file, and nothing
in the work dir changes (a stale marker there is not even read)."""
import copy
import hashlib
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from mmdonna import formats
from mmdonna.stages import (StageError, bkd_config, bkd_hash, donna_settings,
                            run_stages, teacher_config)
from mmdonna.utils import atomic_write_json, one_line
from ..test_search.test_search_tool import ROOT, TINY

MISSING = '/no/such/dir'


def tiny_cfg(tmp_path) -> Config:
    path = tmp_path / 'tiny_search.py'
    path.write_text(TINY.format(root=ROOT, work=tmp_path / 'work'))
    return Config.fromfile(str(path))


def random_bytes(path) -> str:
    path.write_bytes(os.urandom(4096))
    return str(path)


def truncated_checkpoint(path) -> str:
    torch.save(dict(state_dict={'w': torch.zeros(256)}), str(path))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return str(path)


def changed(**donna):
    """A case that changes keys of the donna section."""

    def edit(cfg, tmp_path):
        for k, v in donna.items():
            v = v(tmp_path) if callable(v) else v
            if isinstance(v, dict) and isinstance(cfg.donna.get(k), dict):
                cfg.donna[k].update(v)
            else:
                cfg.donna[k] = v

    return edit


def loader(name, **dataset):
    """A case that changes the dataset of a dataloader."""

    def edit(cfg, tmp_path):
        cfg[name].dataset.update(dataset)

    return edit


def option_of(block, options):

    def edit(cfg, tmp_path):
        cfg.donna.blocks[block]['options'] = options

    return edit


def path_of(block, path):

    def edit(cfg, tmp_path):
        cfg.donna.blocks[block]['path'] = path

    return edit


def swapped_blocks(cfg, tmp_path):
    cfg.donna.blocks = list(reversed(cfg.donna.blocks))


def library_loader(cfg, tmp_path):
    cfg.donna.bkd.library_dataloader = dict(
        dataset=dict(data_root=MISSING + '/held_out'))


def no_val_data(cfg, tmp_path):
    cfg.val_dataloader = None


def model_edit(cfg, tmp_path):
    cfg.model.neck.dim = 4  # mmpretrain's GlobalAveragePooling asserts


#: (id, edit of the tiny config, words the one error line must hold)
CONFIG_CASES = [
    ('unknown donna key', changed(serach=dict()), ['serach', 'donna']),
    ('unknown bkd key', changed(bkd=dict(lrr=0.1)), ['donna.bkd', 'lrr']),
    ('unknown surrogate type', changed(surrogate=dict(type='NoSuchSurr')),
     ['donna.surrogate.type', 'NoSuchSurr', 'mmdonna.BlockLossSum']),
    ('surrogate of another package',
     changed(surrogate=dict(type='mmpretrain.ImageClassifier')),
     ['donna.surrogate.type', 'mmpretrain.ImageClassifier']),
    ('surrogate argument',
     changed(surrogate=dict(type='mmdonna.BlockLossSum', normalise='z')),
     ['donna.surrogate', 'normalise']),
    ('unknown filter type', changed(filter=dict(type='mmdonna.NoFilter')),
     ['donna.filter.type', 'mmdonna.NoFilter']),
    ('bad filter value', changed(filter=dict(slack=-1.0)),
     ['donna.filter', 'slack']),
    ('unknown estimator',
     changed(latency=dict(targets=[dict(type='mmdonna.NoSuchEstimator')])),
     ['donna.latency.targets[0].type', 'NoSuchEstimator']),
    ('unknown latency backend',
     changed(latency=dict(targets=[dict(backend='tpu')])),
     ['donna.latency.targets[0].backend', 'tpu']),
    ('unknown latency key', changed(latency=dict(target=[])),
     ['donna.latency', 'target']),
    ('unknown option type', option_of(0, [dict(type='NoSuchBlock')]),
     ['donna.blocks', 'NoSuchBlock']),
    ('unknown option key', option_of(0, [dict(type='MBConv', kernal=3)]),
     ['kernal']),
    ('unknown option set',
     changed(
         blocks=['backbone.layer2', 'backbone.layer3'],
         options='nosuchset'), ['donna.blocks', 'nosuchset']),
    ('option that does not fit', option_of(0, [dict(type='MBConv', kernel=4)]),
     ['donna.blocks', 'backbone.layer2']),
    ('wrong cut path', path_of(1, 'backbone.layer33'),
     ['donna.blocks', 'backbone.layer33', 'backbone.layer3']),
    ('blocks out of order', swapped_blocks, ['donna.blocks', 'order']),
    ('cut points outside donna.component', changed(component='neck'),
     ["'backbone.layer2'", "donna.component='neck'", "['neck.gap']"]),
    ('cut points outside the listed components',
     changed(component=['neck', 'head']),
     ["donna.component=['neck', 'head']", 'neck.gap', 'head.fc']),
    ('a whole component as a cut point',
     changed(blocks=['backbone'], options='mbconv'),
     ["donna.blocks[0].path='backbone'", 'donna.component']),
    ('cut point that receives a vector',
     changed(blocks=['head.fc'], options=[dict(type='MBConv')]),
     ["donna.blocks[0].path='head.fc' receives a 2-D tensor", 'NCHW']),
    ('missing teacher checkpoint',
     changed(teacher_checkpoint=lambda t: str(t / 'no_such_teacher.pth')),
     ['donna.teacher_checkpoint', 'no_such_teacher.pth', 'None']),
    ('teacher checkpoint of random bytes',
     changed(teacher_checkpoint=lambda t: random_bytes(t / 'junk.pth')),
     ['donna.teacher_checkpoint', 'junk.pth', 'not a PyTorch checkpoint']),
    ('truncated teacher checkpoint',
     changed(teacher_checkpoint=lambda t: truncated_checkpoint(t / 'cut.pth')),
     ['donna.teacher_checkpoint', 'cut.pth', 'not a PyTorch checkpoint']),
    ('teacher work dir without a checkpoint',
     changed(teacher_checkpoint=lambda t: str(t)),
     ['donna.teacher_checkpoint', 'no checkpoint']),
    ('teacher checkpoint not a path', changed(teacher_checkpoint=5),
     ['donna.teacher_checkpoint=5']),
    ('missing train data root', loader('train_dataloader', data_root=MISSING),
     ['train_dataloader.dataset.data_root', MISSING]),
    ('missing val ann_file',
     loader('val_dataloader', ann_file=MISSING + '/val.json'),
     ['val_dataloader.dataset.ann_file', MISSING + '/val.json']),
    ('missing data_prefix',
     loader('train_dataloader', data_prefix=dict(img=MISSING + '/img')),
     ['train_dataloader.dataset.data_prefix.img', MISSING + '/img']),
    ('missing library data', library_loader,
     ['library.dataset.data_root', MISSING + '/held_out']),
    ('no held-out data', no_val_data,
     ['val_dataloader', 'donna.bkd.library_dataloader']),
    ('unknown constraint', changed(search=dict(constraints=dict(latency=2))),
     ['donna.search.constraints', 'latency']),
    ('negative constraint',
     changed(search=dict(constraints=dict(latency_ms=-1))),
     ['donna.search.constraints.latency_ms=-1']),
    ('constraint of an unknown target',
     changed(search=dict(constraints=dict(latency_ms=dict(phone=2.0)))),
     ['donna.search.constraints.latency_ms', 'phone']),
    ('bad algorithm', changed(search=dict(algorithm='genetic')),
     ['donna.search.algorithm', 'genetic']),
    ('bad operators', changed(search=dict(operators='binary')),
     ['donna.search.operators', 'binary']),
    ('bad population', changed(search=dict(pop_size=1)),
     ['donna.search.pop_size=1']),
    ('bad finetune.models', changed(finetune=dict(models='fastets')),
     ['donna.finetune.models', 'fastets']),
    ('bad finetune budget', changed(finetune=dict(models=dict(latency=2))),
     ['donna.finetune.models', 'latency_ms']),
    ('finetune epochs and iters', changed(finetune=dict(epochs=1, iters=9)),
     ['donna.finetune', 'epochs', 'iters']),
    ('bkd epochs and iters', changed(bkd=dict(epochs=1, iters=9)),
     ['donna.bkd', 'epochs', 'iters']),
    ('bad rerank.max_archs', changed(rerank=dict(max_archs=1)),
     ['donna.rerank.max_archs=1']),
    ('bad rerank.val_batches', changed(rerank=dict(val_batches=0)),
     ['donna.rerank.val_batches=0']),
    ('bad rerank.metric', changed(rerank=dict(metric=3)),
     ['donna.rerank.metric=3']),
    ('an mm builder asserts', model_edit, [
        'model.neck cannot be built', 'dim only support',
        'mmpretrain/models/necks/gap.py'
    ]),
]


def digests(work, logs: bool = True) -> dict:
    """Every file under ``work`` (but ``logs/`` unless ``logs``): its mtime
    and sha256."""
    out = {}
    for folder, _, files in os.walk(work):
        if not logs and osp.relpath(folder, work).split(os.sep)[0] == 'logs':
            continue
        for f in files:
            p = osp.join(folder, f)
            with open(p, 'rb') as fh:
                out[osp.relpath(p, work)] = (osp.getmtime(p),
                                             hashlib.sha256(
                                                 fh.read()).hexdigest())
    return out


def stale_work_dir(work) -> dict:
    """A work dir of another config: stage markers whose hashes do not
    match (reading them first would blame the work dir, not the config)."""
    for stage in ('teacher', 'bkd'):
        atomic_write_json(
            osp.join(work, stage, f'{stage}_done.json'),
            dict(
                format=formats.STAGE_DONE,
                config_hash='another config',
                checkpoint='epoch_1.pth'))
    with open(osp.join(work, 'block_library.json'), 'w') as f:
        f.write('{"format": "mmdonna.block_library.v2"}')
    return digests(work)


def assert_one_line(error: BaseException, words) -> str:
    line = one_line(error)
    assert '\n' not in str(error), str(error)
    for w in words:
        assert w in line, (w, line)
    for leak in ('Traceback', 'weights_only', 'mmpretrain::', 'mmengine::'):
        assert leak not in line, line
    return line


@pytest.mark.parametrize(
    'edit,words', [c[1:] for c in CONFIG_CASES],
    ids=[c[0] for c in CONFIG_CASES])
def test_config_with_one_mistake(tmp_path, edit, words):
    cfg = tiny_cfg(tmp_path)
    edit(cfg, tmp_path)
    work = str(tmp_path / 'work')
    before = stale_work_dir(work)
    with pytest.raises((ValueError, KeyError)) as info:
        run_stages(cfg, work)
    assert_one_line(info.value, words)
    assert digests(work) == before


def test_resume_file_of_random_bytes(tmp_path):
    cfg = tiny_cfg(tmp_path)
    work = str(tmp_path / 'work')
    before = stale_work_dir(work)
    for resume, words in (
        (random_bytes(tmp_path / 'r.pth'), ['--resume', 'r.pth', 'PyTorch']),
        (str(tmp_path / 'none.pth'), ['--resume', 'none.pth', 'not exist']),
    ):
        with pytest.raises(ValueError) as info:
            run_stages(cfg, work, resume_from=resume)
        assert_one_line(info.value, words)
    with pytest.raises(StageError) as info:
        run_stages(cfg, work, stage='bkdd')
    assert_one_line(info.value, ['--stage', 'bkdd'])
    assert digests(work) == before


def done_bkd(tmp_path, cfg) -> str:
    """A work dir whose teacher and BKD are done (their files stand in:
    nothing is loaded before the block library is found wrong)."""
    teacher = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict={}), teacher)
    cfg.donna.teacher_checkpoint = teacher
    work = str(tmp_path / 'work')
    bdir = osp.join(work, 'bkd')
    os.makedirs(bdir)
    with open(osp.join(bdir, 'epoch_1.pth'), 'wb') as f:
        f.write(b'stands in for a checkpoint')
    settings = donna_settings(cfg)
    digest = bkd_hash(bkd_config(cfg, teacher, settings), teacher)
    atomic_write_json(
        osp.join(bdir, 'bkd_done.json'),
        dict(
            format=formats.STAGE_DONE,
            config_hash=digest,
            checkpoint='epoch_1.pth',
            library_hash='of this space'))
    return work


def truncated_library(path):
    atomic_write_json(
        path,
        dict(format=formats.BLOCK_LIBRARY, blocks=[dict(options=[])] * 9))
    with open(path) as f:
        text = f.read()
    with open(path, 'w') as f:
        f.write(text[:len(text) // 2])


def foreign_library(path):
    atomic_write_json(path, dict(format='othertool.block_scores.v1'))


def library_of_list(path):
    with open(path, 'w') as f:
        f.write('[1, 2, 3]')


ARTEFACT_CASES = [
    ('truncated block library', truncated_library, ['corrupt']),
    ('block library of another format', foreign_library,
     ['othertool.block_scores.v1']),
    ('block library of another shape', library_of_list, ['format']),
]


@pytest.mark.parametrize(
    'write,words', [c[1:] for c in ARTEFACT_CASES],
    ids=[c[0] for c in ARTEFACT_CASES])
def test_corrupt_or_foreign_block_library(tmp_path, write, words):
    cfg = tiny_cfg(tmp_path)
    work = done_bkd(tmp_path, cfg)
    lib = osp.join(work, 'block_library.json')
    write(lib)
    before = digests(work)
    with pytest.raises(StageError) as info:
        run_stages(cfg, work, stage='filter')
    assert_one_line(info.value, ['block_library.json', '--stage bkd'] + words)
    # the stages' own logs aside, nothing was written
    assert digests(work, logs=False) == before


# ---- through the tools: one line on stderr, exit status 2 ----------------
def tool(script, *args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(
        [sys.executable,
         osp.join(ROOT, 'tools', script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)


def assert_tool_error(proc, words):
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-3000:]
    assert lines[0].startswith('error: '), lines
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert 'weights_only' not in proc.stderr


def write_cfg(tmp_path, name, **donna):
    cfg = tiny_cfg(tmp_path)
    cfg.donna.update(copy.deepcopy(donna))
    path = str(tmp_path / name)
    cfg.dump(path)
    return path


def test_search_tool_one_line(tmp_path):
    work = str(tmp_path / 'work')
    before = stale_work_dir(work)
    junk = random_bytes(tmp_path / 'junk.pth')
    cases = [
        (write_cfg(
            tmp_path, 'surrogate.py', surrogate=dict(type='NoSuchSurr')), [],
         ['donna.surrogate.type', 'NoSuchSurr']),
        (write_cfg(tmp_path, 'teacher.py', teacher_checkpoint=junk), [],
         ['donna.teacher_checkpoint', junk]),
        (write_cfg(tmp_path, 'ok.py'), ['--resume', junk], ['--resume', junk]),
        (write_cfg(tmp_path, 'path.py'),
         ['--cfg-options',
          'donna.blocks.0.path=backbone.layr2'], ['backbone.layr2']),
    ]
    for cfg, args, words in cases:
        proc = tool('search.py', cfg, '--work-dir', work, *args)
        assert_tool_error(proc, words)
    assert digests(work) == before
    # --debug: the traceback too
    proc = tool('search.py', cases[0][0], '--work-dir', work, '--debug')
    assert proc.returncode == 2 and 'Traceback' in proc.stderr


def test_train_and_export_tools_refuse_random_bytes(tmp_path):
    path = str(tmp_path / 'teacher.py')
    teacher_config(tiny_cfg(tmp_path)).dump(path)
    junk = random_bytes(tmp_path / 'junk.pth')
    work = str(tmp_path / 'work')
    proc = tool('train.py', path, '--work-dir', work, '--resume', junk)
    assert_tool_error(proc, ['--resume', junk, 'PyTorch'])
    assert not osp.exists(work)
    onnx = str(tmp_path / 'm.onnx')
    proc = tool('export.py', path, junk, '--out', onnx, '--shape', '1', '3',
                '32', '32')
    assert_tool_error(proc, ['checkpoint', junk, 'PyTorch'])
    assert not osp.exists(onnx)


def test_assert_without_message_names_key_and_check():
    """An mm builder's bare ``assert``: the line names the config key of the
    module being built and the check's own source line."""
    from mmdonna.registry import MODELS
    from mmdonna.stages.validate import assertion_line
    cfg = dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmpretrain.ResNet', depth=18, num_stages=5),
        head=dict(
            type='mmpretrain.LinearClsHead', num_classes=3, in_channels=512))
    with pytest.raises(AssertionError) as info:
        MODELS.build(cfg)
    line = assertion_line(info.value, cfg)
    assert line.startswith('model.backbone cannot be built: '), line
    assert 'num_stages' in line and 'mmpretrain/models/backbones/resnet.py' \
        in line, line
    assert '\n' not in line
