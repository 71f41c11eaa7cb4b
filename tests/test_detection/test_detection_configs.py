"""Every detection config loads; the real-COCO ones build their supernet at
the fixed search resolution and refuse missing COCO files in one line."""
import copy
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdonna.registry import DATASETS, MODELS
from mmdonna.stages import donna_settings, is_donna_config, supernet_model
from .utils import CONFIGS

# finetune configs inherit a subnet that tools/search.py writes into
# work_dirs/ (checked in test_detection_search_e2e.py)
ALL = sorted(
    p for p in glob.glob(osp.join(CONFIGS, '*.py'))
    if not p.endswith('_finetune.py'))


@pytest.mark.parametrize('path', ALL, ids=osp.basename)
def test_config_loads_and_names_only_registered_types(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.default_scope)
    model = cfg.model
    if is_donna_config(cfg):
        settings = donna_settings(cfg)
        assert settings['component'] == 'backbone'
        assert all(b['path'].startswith('backbone.')
                   for b in settings['blocks'])
    with MODELS.switch_scope_and_registry(None) as registry:
        assert registry.get(model.type) is not None, model.type
    with DATASETS.switch_scope_and_registry(None) as registry:
        dataset = cfg.train_dataloader.dataset.type
        assert registry.get(dataset) is not None, dataset


def test_coco_supernet_cuts_the_backbone_at_640():
    cfg = Config.fromfile(osp.join(CONFIGS, 'retinanet_r18_coco_search.py'))
    init_default_scope('mmdet')
    model = supernet_model(cfg)
    for b in model['blocks']:
        b['options'] = b['options'][:1]
    supernet = MODELS.build(model)
    shapes = [(b.in_shape, b.out_shape) for b in supernet.space.blocks]
    assert shapes == [((64, 160, 160), (64, 160, 160)),
                      ((64, 160, 160), (128, 80, 80)),
                      ((128, 80, 80), (256, 40, 40)),
                      ((256, 40, 40), (512, 20, 20))]


@pytest.mark.parametrize(
    'name', ['retinanet_r18_coco_teacher.py', 'retinanet_r18_coco_search.py'])
def test_missing_coco_annotations_are_one_line_naming_ann_file(name, tmp_path):
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    init_default_scope('mmdet')
    ds = copy.deepcopy(cfg.train_dataloader.dataset)
    ds.data_root = str(tmp_path / 'coco') + '/'
    with pytest.raises(FileNotFoundError) as e:
        DATASETS.build(ds)
    msg = str(e.value)
    assert 'ann_file=' in msg and 'instances_train2017.json' in msg
    assert '\n' not in msg
