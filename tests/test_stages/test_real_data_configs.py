"""The real-data configs (ImageNet, COCO, DIV2K/Set5, SIDD, BDD100K) run:
every stage of each, on a miniature dataset in its standard layout
(``layouts.py``), for a couple of iterations. Only the data root, batch
sizes, schedules, the number of blocks and options (and the miniature
ImageNet's class list) change; the models,
datasets, pipelines and evaluators are the configs' own."""
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmdonna.stages import run_stages
from . import layouts

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MBCONV = dict(type='MBConv', kernel=3, expand=3)
CASES = {
    'imagenet':
    dict(
        config='configs/classification/mobilenetv2_imagenet_search.py',
        layout=layouts.fake_imagenet,
        option=MBCONV,
        by_epoch=True,
        # two of ImageNet's 1000 class folders
        dataset=dict(metainfo=dict(classes=layouts.IMAGENET_SYNSETS))),
    'coco':
    dict(
        config='configs/detection/retinanet_r18_coco_search.py',
        layout=layouts.fake_coco,
        option=MBCONV,
        by_epoch=True),
    'div2k':
    dict(
        config='configs/restoration/edsr_div2k-x2_search.py',
        layout=layouts.fake_div2k_set5,
        option=dict(type='DWSepBlock', kernel=3, expand=2),
        by_epoch=False),
    'sidd':
    dict(
        config='configs/restoration/nafnet_sidd_search.py',
        layout=layouts.fake_sidd,
        option=dict(type='DWSepBlock', kernel=3, expand=2),
        by_epoch=False),
    'bdd100k':
    dict(
        config='projects/yolop/configs/yolop_tiny_bdd100k_search.py',
        layout=layouts.fake_bdd100k,
        option=MBCONV,
        by_epoch=True),
}


def _rooted(value, root: str):
    """Every ``data/...`` path of a config value moved under ``root``."""
    if isinstance(value, dict):
        return {k: _rooted(v, root) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_rooted(v, root) for v in value)
    if isinstance(value, str) and value.startswith('data/'):
        return osp.join(root, value[len('data/'):])
    return value


def tiny(case: dict, root: str) -> Config:
    """The config with its data under ``root``, batches of 2, a teacher
    trained for an epoch (or 2 iterations), 2 blocks of 1 option (plus the
    teacher's), BKD and finetuning of 2 iterations, FLOPs as the latency
    target (timing has its own tests)."""
    cfg = Config.fromfile(osp.join(ROOT, case['config']))
    d = _rooted(cfg._cfg_dict.to_dict(), root)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        d[key].update(batch_size=2, num_workers=0, persistent_workers=False)
        d[key]['dataset'].update(case.get('dataset', {}))
    if case['by_epoch']:
        d['train_cfg'].update(max_epochs=1, val_interval=1)
    else:
        d['train_cfg'].update(max_iters=2, val_interval=2)
    d['donna'].update(
        teacher_checkpoint=None,
        # an untrained teacher: the check is tested on its own
        teacher_check=dict(enabled=False),
        blocks=[
            dict(
                path=b if isinstance(b, str) else b['path'],
                options=[case['option']]) for b in d['donna']['blocks'][:2]
        ],
        latency=dict(
            targets=[dict(type='mmdonna.FlopsEstimator')],
            calibrate=0,
            passes=1),
        search=dict(pop_size=4, n_gen=2, num_random_samples=8))
    small = dict(batch_size=2, num_workers=0, persistent_workers=False)
    d['donna'].setdefault('bkd', {}).update(
        iters=2,
        epochs=None,
        library_batches=1,
        bn_calib_batches=1,
        train_dataloader=small,
        library_dataloader=small)
    d['donna'].setdefault('finetune', {}).update(
        models='fastest', epochs=None, iters=2)
    return Config(d, filename=cfg.filename)


@pytest.mark.parametrize('name', sorted(CASES))
def test_real_data_config_runs_every_stage(name, tmp_path):
    case = CASES[name]
    root = str(tmp_path / 'data')
    case['layout'](root)
    work = str(tmp_path / 'work')
    ctx = run_stages(tiny(case, root), work)
    status = {stage: s for stage, s, _ in ctx.rows}
    for stage in ('teacher', 'bkd', 'library', 'latency LUT', 'filter',
                  'search', 'hardware in the loop', 'export', 'finetune',
                  'report'):
        assert status.get(stage) == 'done', (stage, ctx.rows)
    with open(osp.join(work, 'finetune_results.json')) as f:
        results = json.load(f)
    teacher, model = results['rows']
    assert teacher['name'] == 'teacher' and model['params'] > 0
    for row in (teacher, model):  # untrained models: any finite figure
        assert row['metric'] is None or np.isfinite(row['metric']), row
    assert osp.exists(osp.join(work, 'subnets', model['name'] + '.pth'))
