"""The export stage keeps a subnet only when ``subnets/manifest.json``
records it and its ``.pth`` still has the recorded digest; a corrupt or
missing ``.pth`` is exported again."""
import copy
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmdonna.stages import DEFAULTS, StageContext, StageError, export
from mmdonna.utils import file_digest
from ..test_export.fixtures import tiny  # noqa: F401  (fixture)

FRONT = [
    dict(
        name=n,
        code=c,
        latency_measured_ms=1.0,
        latency_lut_ms=1.0,
        surrogate=0.5) for n, c in (('a', [0, 1]), ('b', [2, 0]))
]


def _ctx(tiny, work_dir, only=None):  # noqa: F811
    settings = dict(
        finetune=copy.deepcopy(DEFAULTS['finetune']),
        bkd=dict(bn_calib_batches=0))
    ctx = StageContext(
        Config(dict(tiny['teacher_cfg'].to_dict())),
        work_dir,
        only=only,
        settings=settings)
    ctx.supernet = tiny['supernet']
    ctx.teacher_checkpoint = tiny['teacher_checkpoint']
    ctx.pareto = dict(targets=dict(flops=dict(front=copy.deepcopy(FRONT))))
    return ctx


def test_corrupt_or_missing_weights_are_exported_again(
        tiny, tmp_path):  # noqa: F811,E501
    work = str(tmp_path)
    sub = osp.join(work, 'subnets')
    export(_ctx(tiny, work))
    manifest = json.load(open(osp.join(sub, 'manifest.json')))
    assert manifest['format'] == 'mmdonna.subnet_manifest.v1'
    for a in FRONT:
        entry = manifest['subnets'][a['name']]
        assert entry['code'] == a['code']
        assert entry['pth_digest'] == file_digest(
            osp.join(sub, a['name'] + '.pth'))
    mtime = {f: osp.getmtime(osp.join(sub, f)) for f in os.listdir(sub)}
    ctx = _ctx(tiny, work)
    export(ctx)
    assert ctx.rows[-1][1] == 'skipped'
    assert {
        f: osp.getmtime(osp.join(sub, f))
        for f in os.listdir(sub)
    } == mtime
    # a truncated .pth (killed copy, full disk) is not kept...
    a_pth = osp.join(sub, 'a.pth')
    with open(a_pth, 'r+b') as f:
        f.truncate(1000)
    with pytest.raises(StageError, match='1 subnets in'):
        export(_ctx(tiny, work, only='finetune'))
    ctx = _ctx(tiny, work)
    export(ctx)
    assert ctx.rows[-1][1] == 'done' and '1 of 2' in ctx.rows[-1][2]
    assert torch.load(
        a_pth, map_location='cpu')['meta']['donna_code'] == [0, 1]
    manifest = json.load(open(osp.join(sub, 'manifest.json')))
    assert manifest['subnets']['a']['pth_digest'] == file_digest(a_pth)
    assert osp.getmtime(osp.join(sub, 'b.pth')) == mtime['b.pth']
    # ... nor is a missing one
    os.remove(osp.join(sub, 'b.pth'))
    ctx = _ctx(tiny, work)
    export(ctx)
    assert ctx.rows[-1][1] == 'done'
    assert osp.isfile(osp.join(sub, 'b.pth'))


def test_new_finetune_settings_export_the_configs_again(
        tiny, tmp_path):  # noqa: F811,E501
    work = str(tmp_path)
    export(_ctx(tiny, work))
    ctx = _ctx(tiny, work)
    ctx.settings['finetune']['train_cfg'] = dict(max_epochs=7)
    export(ctx)
    assert ctx.rows[-1][1] == 'done'
    cfg = Config.fromfile(osp.join(work, 'subnets', 'a.py'))
    assert cfg.train_cfg.max_epochs == 7
