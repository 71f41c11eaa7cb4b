"""BDD100K layout: generated road scenes, parsing, pipeline, clear errors."""
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdonna.registry import DATASETS
from projects.yolop.yolop.datasets import BDD100KDataset, generate_road_scenes
from .yolop_test_utils import CONFIGS

SIZE = (96, 64)


def _pipeline(name: str) -> list:
    cfg = Config.fromfile(
        osp.join(CONFIGS, '_base_', 'datasets', 'bdd100k_generated.py'))
    pipeline = cfg[name]
    for t in pipeline:
        if t['type'] in ('Resize', 'Pad'):
            t[('scale' if t['type'] == 'Resize' else 'size')] = SIZE
    return pipeline


def _dataset(root, split='train', **kwargs):
    init_default_scope('mmdet')
    return BDD100KDataset(
        data_root=str(root),
        split=split,
        generate=dict(num_images=3, seed=0, img_size=SIZE),
        **kwargs)


def test_generated_split_has_the_yolop_layout_and_parses(tmp_path):
    ds = _dataset(tmp_path)
    assert len(ds) == 3
    for folder, ext in (('images', '.jpg'), ('det_annotations', '.json'),
                        ('da_seg_annotations', '.png'), ('ll_seg_annotations',
                                                         '.png')):
        files = sorted(os.listdir(tmp_path / folder / 'train'))
        assert files == [f'train_{i:05d}{ext}' for i in range(3)]
    info = ds.get_data_info(0)
    with open(tmp_path / 'det_annotations/train/train_00000.json') as f:
        objects = json.load(f)['frames'][0]['objects']
    vehicles = [o for o in objects if o['category'] in ('car', 'bus', 'truck')]
    # traffic signs, drivable area and lanes (poly2d) are not YOLOP boxes
    assert any(o['category'] == 'traffic sign' for o in objects)
    assert len(info['instances']) == len(vehicles)
    for inst, obj in zip(info['instances'], vehicles):
        b = obj['box2d']
        assert inst['bbox'] == [b['x1'], b['y1'], b['x2'], b['y2']]
        assert inst['bbox_label'] == 0


def test_generation_is_deterministic_by_seed(tmp_path):
    a = generate_road_scenes(str(tmp_path / 'a'), 'val', 2, 7, SIZE)
    b = generate_road_scenes(str(tmp_path / 'b'), 'val', 2, 7, SIZE)
    c = generate_road_scenes(str(tmp_path / 'c'), 'val', 2, 8, SIZE)
    assert a and b and c

    def read(root):
        return [(tmp_path / root / d / 'val' / f'val_00001{e}').read_bytes()
                for d, e in (('images', '.jpg'), ('da_seg_annotations',
                                                  '.png'),
                             ('ll_seg_annotations', '.png'))]

    assert read('a') == read('b')
    assert read('a') != read('c')


def test_pipeline_keeps_masks_and_boxes_aligned_with_the_image(tmp_path):
    init_default_scope('mmdet')
    ds = _dataset(tmp_path, pipeline=_pipeline('train_pipeline'))
    packed = ds[0]
    sample = packed['data_samples']
    h, w = packed['inputs'].shape[1:]
    assert (h, w) == (SIZE[1], SIZE[0])
    for field in ('gt_da_seg', 'gt_ll_seg'):
        mask = sample.get(field).sem_seg
        assert mask.shape == (1, h, w)
        assert set(mask.unique().tolist()) <= {0, 1}
    # the road fills the bottom rows; lanes lie on it
    da, ll = sample.gt_da_seg.sem_seg[0], sample.gt_ll_seg.sem_seg[0]
    assert da[-1].float().mean() > 0.3
    assert ll.sum() > 0 and (ll.bool() & da.bool()).sum() > 0.5 * ll.sum()
    assert len(sample.gt_instances) == len(ds.get_data_info(0)['instances'])


def test_test_pipeline_keeps_ground_truth_in_the_original_frame(tmp_path):
    init_default_scope('mmdet')
    gen = dict(num_images=2, seed=3, img_size=(192, 128))
    ds = BDD100KDataset(
        data_root=str(tmp_path),
        split='val',
        test_mode=True,
        generate=gen,
        pipeline=_pipeline('test_pipeline'))
    packed = ds[0]
    assert packed['inputs'].shape[1:] == (64, 96)
    assert packed['data_samples'].gt_da_seg.sem_seg.shape == (1, 128, 192)
    assert packed['data_samples'].scale_factor == pytest.approx((0.5, 0.5))


def test_missing_folder_is_a_one_line_error_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        BDD100KDataset(data_root=str(tmp_path / 'bdd100k'), split='val')
    msg = str(e.value)
    assert '\n' not in msg
    assert osp.join(str(tmp_path), 'bdd100k', 'images', 'val') in msg
    assert 'generate=' in msg and 'YOLOP layout' in msg


def test_missing_annotation_is_a_one_line_error_naming_it(tmp_path):
    _dataset(tmp_path)
    missing = tmp_path / 'll_seg_annotations' / 'train' / 'train_00001.png'
    os.remove(missing)
    with pytest.raises(FileNotFoundError) as e:
        BDD100KDataset(data_root=str(tmp_path))
    assert str(missing) in str(e.value) and '\n' not in str(e.value)


def test_generate_never_writes_into_a_real_dataset(tmp_path):
    os.makedirs(tmp_path / 'images' / 'train')
    (tmp_path / 'images' / 'train' / 'real.jpg').write_bytes(b'x')
    with pytest.raises(ValueError, match='did not generate'):
        _dataset(tmp_path)


def test_bad_config_keys_fail_loudly(tmp_path):
    with pytest.raises(ValueError, match='unknown keys'):
        BDD100KDataset(
            data_root=str(tmp_path), generate=dict(num_images=1, size=3))
    with pytest.raises(ValueError, match='not in metainfo classes'):
        BDD100KDataset(
            data_root=str(tmp_path), category_map=dict(car='automobile'))


def test_registered_in_mmdonna_scope():
    assert DATASETS.get('BDD100KDataset') is BDD100KDataset
    from mmengine.registry import DATASETS as ROOT_DATASETS
    assert 'BDD100KDataset' not in ROOT_DATASETS.module_dict
