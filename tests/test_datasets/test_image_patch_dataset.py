"""ImagePatchDataset: built-in denoising / SR patches that work with
mmagic's stock transforms, data preprocessor and metrics."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmdonna.datasets import ImagePatchDataset
from mmdonna.datasets.image_patch_dataset import (bicubic_downsample,
                                                  load_image, patch_grid)

IMAGES = ['camera', 'chelsea']  # gray 512x512 and colour 300x451


def make(**kwargs):
    cfg = dict(images=IMAGES, patch_size=32, max_patches_per_image=12)
    cfg.update(kwargs)
    return ImagePatchDataset(**cfg)


@pytest.fixture(autouse=True)
def mmagic_scope():
    init_default_scope('mmagic')


def test_patch_grid_keeps_patches_inside_the_image():
    assert patch_grid(10, 7, 4, 4) == [(0, 0), (4, 0)]
    assert patch_grid(3, 7, 4, 4) == []
    grid = patch_grid(50, 60, 16, 8)
    assert len(grid) == 5 * 6
    assert all(y + 16 <= 50 and x + 16 <= 60 for y, x in grid)


def test_denoising_patches_carry_gaussian_noise_of_sigma():
    ds = make(task='denoising', sigma=15)
    assert len(ds) == 2 * 12
    noise = []
    for i in range(len(ds)):
        item = ds[i]
        assert item['gt'].shape == (32, 32, 3) and item['gt'].dtype == np.uint8
        assert item['img'].shape == (32, 32, 3)
        assert item['img'].dtype == np.float32
        noise.append(item['img'] - item['gt'].astype(np.float32))
    noise = np.stack(noise)
    assert abs(noise.std() - 15) < 0.5 and abs(noise.mean()) < 0.5
    # gray images become three identical clean channels
    gray = next(ds[i] for i in range(len(ds)) if 'camera' in ds[i]['gt_path'])
    assert (gray['gt'][..., 0] == gray['gt'][..., 2]).all()


@pytest.mark.parametrize('scale', [2, 4])
def test_sr_inputs_are_bicubic_downsampled_ground_truth(scale):
    ds = make(task='sisr', scale=scale)
    item = ds[0]
    assert item['gt'].shape == (32, 32, 3)
    assert item['img'].shape == (32 // scale, 32 // scale, 3)
    assert item['img'].dtype == np.uint8
    # the input is the whole image downsampled then cropped: away from the
    # patch border it equals downsampling the ground-truth patch itself
    own = bicubic_downsample(item['gt'], scale).astype(int)
    inner = slice(2, -2)
    diff = np.abs(own[inner, inner] - item['img'][inner, inner].astype(int))
    assert diff.max() <= 1
    # and it is much closer to the ground truth than a blank guess
    up = cv2.resize(item['img'], (32, 32), interpolation=cv2.INTER_CUBIC)
    err = np.abs(up.astype(int) - item['gt'].astype(int)).mean()
    assert err < np.abs(item['gt'].astype(int) - 128).mean() / 3


def test_split_is_deterministic_disjoint_and_covers_every_image():
    train, val = make(split='train'), make(split='val')
    again = make(split='val')
    val_paths = [val[i]['gt_path'] for i in range(len(val))]
    assert val_paths == [again[i]['gt_path'] for i in range(len(again))]
    train_paths = {train[i]['gt_path'] for i in range(len(train))}
    assert not train_paths & set(val_paths)
    for name in IMAGES:
        assert any(name in p for p in val_paths)
        assert any(name in p for p in train_paths)
    other_seed = make(split='val', seed=1)
    assert val_paths != [
        other_seed[i]['gt_path'] for i in range(len(other_seed))
    ]


def test_stock_mmagic_transforms_preprocessor_and_psnr_metric():
    from mmagic.registry import METRICS, MODELS
    sigma = 25
    ds = make(
        task='denoising',
        sigma=sigma,
        split='val',
        pipeline=[
            dict(type='Flip', keys=['img', 'gt'], flip_ratio=1.0),
            dict(type='PackInputs')
        ])
    pre = MODELS.build(
        dict(type='DataPreprocessor', mean=[0.] * 3, std=[255.] * 3))
    batch = [ds[i] for i in range(4)]
    data = pre(
        dict(
            inputs=[b['inputs'] for b in batch],
            data_samples=[b['data_samples'] for b in batch]), False)
    assert data['inputs'].shape == (4, 3, 32, 32)
    # the noisy input itself as the prediction: PSNR = 20 log10(255/sigma)
    samples = data['data_samples'].split()
    metric = METRICS.build(dict(type='PSNR'))
    metric.data_preprocessor = pre
    outputs = []
    for s, x in zip(samples, data['inputs']):
        d = s.to_dict()
        d['output'] = dict(pred_img=x * 255)
        outputs.append(d)
    metric.process([], outputs)
    psnr = metric.compute_metrics(metric.results)['PSNR']
    assert abs(psnr - 20 * np.log10(255 / sigma)) < 0.3
    # Flip is applied to input and ground truth alike
    raw = make(task='denoising', sigma=sigma, split='val')[0]
    flipped = ds[0]['data_samples'].gt_img.permute(1, 2, 0).numpy()
    assert (flipped == raw['gt'][:, ::-1]).all()
    assert torch.is_tensor(ds[0]['inputs'])


def test_missing_image_is_a_one_line_error(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        make(images=['camera', str(tmp_path / 'nope.png')])
    assert 'images' in str(e.value) and '\n' not in str(e.value)
    with pytest.raises(ValueError, match='neither an image file'):
        make(images=['no_such_sample'])


def test_image_smaller_than_patch_is_a_one_line_error(tmp_path):
    small = str(tmp_path / 'small.png')
    cv2.imwrite(small, np.zeros((20, 40, 3), np.uint8))
    with pytest.raises(ValueError) as e:
        make(images=[small], patch_size=32)
    msg = str(e.value)
    assert 'images[0]' in msg and '20x40' in msg and 'patch_size=32' in msg
    assert '\n' not in msg
    with pytest.raises(ValueError, match='patch_size=512'):
        make(images=['chelsea'], patch_size=512)


def test_file_images_and_bad_arguments(tmp_path):
    path = str(tmp_path / 'img.png')
    rgb = load_image('chelsea')[:64, :96]
    cv2.imwrite(path, rgb[..., ::-1])  # cv2 writes BGR
    ds = make(images=[path], task='sisr', scale=2)
    assert len(ds) == 5 and ds[0]['gt'].shape == (32, 32, 3)
    assert (load_image(path) == rgb).all()  # read back as RGB
    with pytest.raises(ValueError, match='multiples of scale=3'):
        make(task='sisr', scale=3)
    with pytest.raises(ValueError, match='task='):
        make(task='deblur')
