"""The built-in shapes detection data: offline COCO generation, mmdet's
CocoDataset / CocoMetric on it, and one-line errors for bad input."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.evaluation import CocoMetric

from mmdonna.datasets import DonnaCocoDataset, render_scene

CLASSES = ('circle', 'square', 'triangle')


def make_dataset(root, seed=0, num_images=6, **gen):
    return DonnaCocoDataset(
        data_root=str(root),
        ann_file='annotations/val.json',
        data_prefix=dict(img='val/'),
        metainfo=dict(classes=CLASSES),
        test_mode=True,
        generate=dict(
            num_images=num_images,
            seed=seed,
            img_size=64,
            min_size=10,
            max_size=24,
            **gen))


def test_render_scene_boxes_are_tight_and_inside():
    rng = np.random.default_rng(3)
    for _ in range(20):
        img, boxes, labels = render_scene(
            rng, CLASSES, img_size=64, min_size=10, max_size=24)
        assert img.shape == (64, 64, 3) and img.dtype == np.uint8
        assert 1 <= len(boxes) == len(labels) <= 4
        for (x1, y1, x2, y2), label in zip(boxes, labels):
            assert 0 <= x1 < x2 <= 64 and 0 <= y1 < y2 <= 64
            assert 0 <= label < len(CLASSES)
            assert 8 <= x2 - x1 <= 24 and 8 <= y2 - y1 <= 24


def test_generated_split_is_a_coco_dataset(tmp_path):
    ds = make_dataset(tmp_path)
    assert len(ds) == 6
    with open(tmp_path / 'annotations' / 'val.json') as f:
        coco = json.load(f)
    assert [c['name'] for c in coco['categories']] == list(CLASSES)
    assert len(coco['annotations']) == sum(
        len(ds.get_data_info(i)['instances']) for i in range(len(ds)))
    info = ds.get_data_info(0)
    assert osp.isfile(info['img_path'])
    assert info['instances'][0]['bbox_label'] in range(3)
    # deterministic: a second dataset reuses the files, same seed -> same
    # pixels; another seed -> other images
    before = open(info['img_path'], 'rb').read()
    mtime = osp.getmtime(tmp_path / 'annotations' / 'val.json')
    make_dataset(tmp_path)
    assert osp.getmtime(tmp_path / 'annotations' / 'val.json') == mtime
    other = make_dataset(tmp_path / 'other', seed=1)
    assert open(other.get_data_info(0)['img_path'], 'rb').read() != before
    again = make_dataset(tmp_path / 'again', seed=0)
    assert open(again.get_data_info(0)['img_path'], 'rb').read() == before


def test_generated_objects_have_instance_masks(tmp_path):
    """Every object's RLE mask is non-empty and inside its box; mmdet's
    LoadAnnotations reads it (the masks of Mask R-CNN's training)."""
    from mmdet.datasets.transforms import LoadAnnotations
    from pycocotools import mask as mask_utils
    ds = make_dataset(tmp_path)
    with open(tmp_path / 'annotations' / 'val.json') as f:
        coco = json.load(f)
    for ann in coco['annotations']:
        m = mask_utils.decode(ann['segmentation'])
        x, y, w, h = (int(v) for v in ann['bbox'])
        assert m.shape == (64, 64) and m.sum() > 0
        assert m[y:y + h, x:x + w].sum() == m.sum()
    # rendering with masks draws the same images as without
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    masks = []
    img, boxes, _ = render_scene(a, CLASSES, 64, 10, 24, masks=masks)
    assert np.array_equal(img, render_scene(b, CLASSES, 64, 10, 24)[0])
    assert len(masks) == len(boxes)
    info = ds.get_data_info(0)
    results = LoadAnnotations(
        with_bbox=True, with_mask=True)(
            dict(info, ori_shape=(64, 64)))
    assert len(results['gt_masks']) == len(info['instances'])


def test_changed_settings_regenerate(tmp_path):
    make_dataset(tmp_path, num_images=4)
    assert len(make_dataset(tmp_path, num_images=7)) == 7


def _predictions(ds, shift=0.0, drop_label=None):
    samples = []
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        inst = [x for x in info['instances'] if x['bbox_label'] != drop_label]
        boxes = torch.tensor([x['bbox'] for x in inst],
                             dtype=torch.float32).reshape(-1, 4)
        samples.append(
            dict(
                img_id=info['img_id'],
                ori_shape=(info['height'], info['width']),
                pred_instances=dict(
                    bboxes=boxes + shift,
                    scores=torch.ones(len(inst)),
                    labels=torch.tensor([x['bbox_label'] for x in inst],
                                        dtype=torch.long))))
    return samples


def _coco_map(ds, samples):
    metric = CocoMetric(ann_file=ds.ann_file, metric='bbox', format_only=False)
    metric.dataset_meta = ds.metainfo
    metric.process({}, samples)
    return metric.evaluate(len(ds))['coco/bbox_mAP']


def test_coco_metric_scores_the_generated_annotations(tmp_path):
    ds = make_dataset(tmp_path, num_images=8)
    perfect = _coco_map(ds, _predictions(ds))
    assert perfect == pytest.approx(1.0, abs=1e-3)
    shifted = _coco_map(ds, _predictions(ds, shift=4.0))
    assert shifted < 0.9 * perfect
    missing = _coco_map(ds, _predictions(ds, drop_label=0))
    assert missing < perfect


def test_missing_annotation_file_names_the_key(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        DonnaCocoDataset(
            data_root=str(tmp_path),
            ann_file='annotations/instances_val2017.json',
            data_prefix=dict(img='val2017/'),
            pipeline=[])
    msg = str(e.value)
    assert 'ann_file=' in msg and 'instances_val2017.json' in msg
    assert '\n' not in msg


def test_generation_never_overwrites_foreign_annotations(tmp_path):
    ann = tmp_path / 'annotations' / 'val.json'
    ann.parent.mkdir()
    ann.write_text(json.dumps(dict(images=[], annotations=[], categories=[])))
    with pytest.raises(ValueError, match='not generated by mmdonna') as e:
        make_dataset(tmp_path)
    assert '\n' not in str(e.value)
    assert json.loads(ann.read_text())['images'] == []


@pytest.mark.parametrize('kwargs, match', [
    (dict(generate=dict(num_images=2, colour='red')), 'unknown keys'),
    (dict(generate=dict(seed=1)), 'needs num_images'),
    (dict(generate=dict(num_images=2),
          metainfo=dict(classes=('person', ))), 'no shape'),
    (dict(generate=dict(num_images=2, min_size=40, max_size=20)), 'min_size'),
])
def test_bad_generator_settings_are_one_line_errors(tmp_path, kwargs, match):
    cfg = dict(
        data_root=str(tmp_path),
        ann_file='a.json',
        data_prefix=dict(img='img/'),
        metainfo=dict(classes=CLASSES))
    cfg.update(kwargs)
    with pytest.raises(ValueError, match=match) as e:
        DonnaCocoDataset(**cfg)
    assert '\n' not in str(e.value)
