"""The README's two complete examples (a stock mmpretrain classifier and a
stock mmdet detector plus a donna section) are configs that work: they
parse, their runs derive, and the classifier's supernet builds."""
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdonna.registry import MODELS
from mmdonna.stages import (bkd_config, donna_settings, finetune_metric,
                            supernet_model)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def examples():
    with open(osp.join(ROOT, 'README.md')) as f:
        text = f.read()
    return [
        b for b in re.findall(r'```python\n(.*?)```', text, re.S)
        if 'donna = dict(' in b
    ]


def test_readme_has_a_classification_and_a_detection_example():
    found = examples()
    assert len(found) == 2
    assert 'mmpretrain::' in found[0] and 'mmdet::' in found[1]
    # short enough to read at a glance
    assert all(len(b.strip().splitlines()) <= 15 for b in found)


@pytest.mark.parametrize('index', [0, 1])
def test_readme_example_derives_every_run(index, tmp_path):
    path = tmp_path / 'example.py'
    path.write_text(examples()[index])
    cfg = Config.fromfile(str(path))
    settings = donna_settings(cfg)
    assert settings['component'] == 'backbone'
    bkd = bkd_config(cfg, settings['teacher_checkpoint'])
    assert bkd.model.teacher == cfg.model.to_dict()
    assert finetune_metric(cfg) in ('accuracy/top1', 'coco/bbox_mAP')
    if index == 0:  # the classifier's cut points exist (weights not needed)
        init_default_scope(cfg.default_scope)
        model = supernet_model(cfg)
        for b in model['blocks']:
            b['options'] = b['options'][:1]
        supernet = MODELS.build(model)
        assert supernet.space.num_blocks == 4
