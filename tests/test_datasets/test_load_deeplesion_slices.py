"""LoadDeepLesionSlices, ResizeToSpacing and DeepLesionDataset on the
real-format fixture.

Expected values are computed from the fixture's closed-form HU
(``slice_hu``), not by reading the PNGs, so a wrong offset, slice, weight,
channel order, clipping or scaling shows up as a mismatch.
"""
import copy
import math

import cv2
import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS, MODELS, TRANSFORMS
from mmcv.transforms import Compose
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.config import Config

from conftest import REPO_ROOT
from fixtures.deeplesion import (HEIGHT, WIDTH, find_series, slice_hu,
                                 slice_pipeline, write_converted_fixture)

HU_LO, HU_HI = -1100.0, 1100.0


@pytest.fixture(scope='module')
def fixture_root(tmp_path_factory):
    return write_converted_fixture(tmp_path_factory.mktemp('deeplesion'))


def window(hu, out_range=(-1.0, 1.0)):
    lo, hi = out_range
    return (np.clip(hu, HU_LO, HU_HI) - HU_LO) / (HU_HI - HU_LO) * (hi - lo) \
        + lo


def mix(series, pairs):
    """HU of a channel made of (slice index, weight) pairs."""
    return sum(w * slice_hu(series, k).astype(np.float64) for k, w in pairs)


def load(root, name, key, spacing=None, **kwargs):
    series = find_series(name)
    if spacing is None:
        spacing = [series['xy'], series['xy'], series['z']]
    t = TRANSFORMS.build(dict(type='LoadDeepLesionSlices', **kwargs))
    results = dict(
        img_path=str(root / 'Images_png' / name / f'{key:03d}.png'),
        key_slice=key, spacing=spacing)
    return series, t(results)


@pytest.mark.parametrize(
    'name, key, expected',
    [
        # 5 mm: +-2 mm = +-0.4 slices, interpolated with the key slice;
        # channel order [-2 mm, key, +2 mm]
        ('000001_01_01', 109, [[(108, 0.4), (109, 0.6)], [(109, 1.0)],
                               [(109, 0.6), (110, 0.4)]]),
        # 2 mm: exactly one slice away
        ('000003_02_01', 5, [[(4, 1.0)], [(5, 1.0)], [(6, 1.0)]]),
        # 1.25 mm: 1.6 slices, between the 1st and 2nd neighbour
        ('000005_01_01', 10, [[(8, 0.6), (9, 0.4)], [(10, 1.0)],
                              [(11, 0.4), (12, 0.6)]]),
        # 1 mm, slice 22 missing on disk: +2 mm falls back to 21
        ('000002_01_01', 20, [[(18, 1.0)], [(20, 1.0)], [(21, 1.0)]]),
        # 1 mm at the volume start (10): -2 mm = 9 is not on disk -> 10
        ('000002_01_01', 11, [[(10, 1.0)], [(11, 1.0)], [(13, 1.0)]]),
        # 5 mm, 56 missing: the +0.4 interpolation partner falls back to
        # the key slice itself
        ('000004_01_02', 55, [[(54, 0.4), (55, 0.6)], [(55, 1.0)],
                              [(55, 1.0)]]),
        # 2 mm at the volume end (9 is the last slice): +2 mm = 10 -> 9
        ('000003_02_01', 9, [[(8, 1.0)], [(9, 1.0)], [(9, 1.0)]]),
    ])
def test_channels_are_the_interpolated_neighbours(fixture_root, name, key,
                                                  expected):
    series, results = load(fixture_root, name, key)
    sources = [[(k, pytest.approx(w)) for k, w in ch]
               for ch in results['slice_sources']]
    assert sources == expected
    img = results['img']
    assert img.shape == (HEIGHT, WIDTH, 3) and img.dtype == np.float32
    for c, pairs in enumerate(expected):
        np.testing.assert_allclose(img[..., c], window(mix(series, pairs)),
                                   atol=1e-5)
    # channel order: the body HU grow by 7 per slice, so at a body pixel
    # without lesions channel 0 (-2 mm) is darker than channel 2 (+2 mm)
    y, x = 40, 30
    if expected[0] != expected[2]:
        assert img[y, x, 0] < img[y, x, 1] <= img[y, x, 2]


def test_hu_offset_and_window(fixture_root):
    """HU = PNG value - 32768, clipped to [-1100, 1100], scaled to [-1, 1]."""
    series, results = load(fixture_root, '000001_01_01', 109)
    key = results['img'][..., 1]
    # body pixel (y=24, x=30): 40 + 7 * (109 - 103) + 30 - 24 = 88 HU
    assert slice_hu(series, 109)[24, 30] == 88
    assert key[24, 30] == pytest.approx(88 / 1100, abs=1e-6)
    assert key[30, 2] == pytest.approx(-1000 / 1100, abs=1e-6)  # air
    assert key[0, 0] == -1.0  # -3024 HU (outside the field of view)
    assert key[3, WIDTH - 6] == 1.0  # 1500 HU bone block
    assert key.min() == -1.0 and key.max() == 1.0
    # the configs' [0, 255] range: the same map, other ends
    _, results = load(fixture_root, '000001_01_01', 109,
                      out_range=(0.0, 255.0))
    key255 = results['img'][..., 1]
    np.testing.assert_allclose(key255, (key + 1) * 127.5, atol=1e-4)
    assert key255[24, 30] == pytest.approx((88 + 1100) / 2200 * 255,
                                           abs=1e-4)


@pytest.mark.parametrize('z', [None, float('nan'), 0.0])
def test_unknown_interval_repeats_the_key_slice(fixture_root, z):
    series, results = load(fixture_root, '000001_01_01', 109,
                           spacing=[0.7, 0.7, z])
    assert results['slice_sources'] == [[(109, 1.0)]] * 3
    for c in range(3):
        np.testing.assert_allclose(results['img'][..., c],
                                   window(slice_hu(series, 109)), atol=1e-5)


def test_more_slices_and_other_gap(fixture_root):
    series, results = load(fixture_root, '000002_01_01', 16, num_slices=5,
                           slice_gap_mm=3.0)
    assert results['slice_sources'] == [[(10, 1.0)], [(13, 1.0)],
                                        [(16, 1.0)], [(19, 1.0)],
                                        [(21, 1.0)]]  # 22 missing -> 21
    assert results['img'].shape == (HEIGHT, WIDTH, 5)


def test_resampling_to_the_target_spacing(fixture_root):
    """0.7 mm pixels -> 0.802 mm: 64 x 48 becomes 56 x 42 (bilinear)."""
    series, plain = load(fixture_root, '000001_01_01', 109)
    assert plain['pixel_spacing'] == (0.7, 0.7)
    assert plain['img_shape'] == plain['ori_shape'] == (48, 64)
    t = Compose(slice_pipeline(target_spacing=0.802, max_size=512))
    boxes = np.array([[10.5, 8.25, 22.0, 19.75], [36.0, 20.0, 50.5, 33.0]],
                     np.float32)
    results = t(dict(img_path=plain['img_path'], key_slice=109,
                     spacing=[0.7, 0.7, 5.0],
                     gt_bboxes=HorizontalBoxes(boxes.copy())))
    new_w = round(64 * 0.7 / 0.802)  # 55.86 -> 56
    new_h = round(48 * 0.7 / 0.802)  # 41.90 -> 42
    assert (new_w, new_h) == (56, 42)
    assert results['img'].shape == (42, 56, 3)
    assert results['img_shape'] == (42, 56)
    assert results['ori_shape'] == (48, 64)
    assert results['scale_factor'] == (56 / 64, 42 / 48)
    expected = cv2.resize(plain['img'], (56, 42),
                          interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(results['img'], expected, atol=1e-5)
    np.testing.assert_allclose(
        results['gt_bboxes'].numpy(),
        boxes * np.array([56 / 64, 42 / 48, 56 / 64, 42 / 48]), rtol=1e-6)
    # a prediction in input pixels maps back with scale_factor (what the
    # detector does with rescale=True)
    back = results['gt_bboxes'].numpy() / np.tile(results['scale_factor'],
                                                  2)
    np.testing.assert_allclose(back, boxes, rtol=1e-5)


def test_oversized_result_is_fitted_into_max_size(fixture_root):
    """0.7 / 0.35 doubles to 128 x 96 > 100: scaled to fit, 100 x 75."""
    series, plain = load(fixture_root, '000001_01_01', 109)
    t = Compose(slice_pipeline(target_spacing=0.35, max_size=100))
    results = t(dict(img_path=plain['img_path'], key_slice=109,
                     spacing=[0.7, 0.7, 5.0]))
    assert results['img'].shape == (75, 100, 3)
    assert results['scale_factor'] == (100 / 64, 75 / 48)


def test_single_channel_keeps_its_axis(fixture_root):
    series, plain = load(fixture_root, '000001_01_01', 109, num_slices=1)
    resize = TRANSFORMS.build(dict(type='ResizeToSpacing'))
    assert resize(plain)['img'].shape == (42, 56, 1)


def _mm_image(width, height, spacing, box_mm):
    """A blank image of ``spacing`` (x, y) mm pixels with a bright lesion
    filling ``box_mm`` (x1, y1, x2, y2 in mm from the top-left corner), and
    its box in pixels."""
    sx, sy = spacing
    box_px = np.array(box_mm, np.float32) / np.array([sx, sy, sx, sy])
    img = np.zeros((height, width, 3), np.float32)
    x1, y1, x2, y2 = box_px.round().astype(int)
    img[y1:y2, x1:x2] = 1.0
    return dict(img=img, img_shape=(height, width), ori_shape=(height, width),
                pixel_spacing=spacing,
                gt_bboxes=HorizontalBoxes(box_px[None].copy())), box_px


def test_geometry_from_first_principles():
    """A lesion at known mm positions lands at mm / target_spacing pixels.

    96 x 80 pixels of 0.5 x 0.4 mm are 48 x 32 mm: 60 x 40 pixels of 0.8 mm.
    The lesion at x 8..24 mm, y 4..20 mm is pixels 16..48 x 10..50 before
    and 10..30 x 5..25 after.
    """
    results, box_px = _mm_image(96, 80, (0.5, 0.4), (8, 4, 24, 20))
    np.testing.assert_array_equal(box_px, [16, 10, 48, 50])
    resize = TRANSFORMS.build(
        dict(type='ResizeToSpacing', target_spacing=0.8, max_size=None))
    out = resize(results)
    assert out['img_shape'] == (40, 60) and out['img'].shape == (40, 60, 3)
    assert out['scale_factor'] == (60 / 96, 40 / 80)
    np.testing.assert_allclose(out['gt_bboxes'].numpy(), [[10, 5, 30, 25]])
    # the image content moved with the box: the lesion's inside is bright,
    # its outside (one pixel away from the border) dark
    img = out['img'][..., 0]
    assert (img[6:24, 11:29] > 0.99).all()
    assert img[:4].max() < 0.01 and img[26:].max() < 0.01
    assert img[:, :9].max() < 0.01 and img[:, 31:].max() < 0.01
    # with a cap the physical frame stays consistent: 30 mm per 30 pixels
    # would be 60 x 40; max_size 30 halves both axes
    capped = TRANSFORMS.build(
        dict(type='ResizeToSpacing', target_spacing=0.8, max_size=30))
    out = capped(_mm_image(96, 80, (0.5, 0.4), (8, 4, 24, 20))[0])
    assert out['img_shape'] == (20, 30)
    np.testing.assert_allclose(out['gt_bboxes'].numpy(),
                               [[5, 2.5, 15, 12.5]])


def test_resize_then_flip_rotate_pad_bookkeeping():
    """ResizeToSpacing followed by mmdet's geometric transforms: boxes,
    ``scale_factor``, ``img_shape`` and ``homography_matrix`` compose."""
    results, box_px = _mm_image(96, 80, (0.5, 0.4), (8, 4, 24, 20))
    pipeline = Compose([
        dict(type='ResizeToSpacing', target_spacing=0.8, max_size=None),
        dict(type='RandomFlip', prob=1.0, direction='horizontal'),
        dict(type='Rotate', prob=1.0, level=10, min_mag=30.0, max_mag=30.0,
             reversal_prob=1.0, img_border_value=0),  # +30 degrees
        dict(type='Pad', size=(64, 64), pad_val=dict(img=0)),
    ])
    out = pipeline(results)
    assert out['scale_factor'] == (60 / 96, 40 / 80)  # only the resize's
    # mmdet's Pad records the padded size; the original frame is kept
    assert out['img_shape'] == out['pad_shape'][:2] == (64, 64)
    assert out['img'].shape == (64, 64, 3) and out['ori_shape'] == (80, 96)
    assert out['flip'] and out['flip_direction'] == 'horizontal'
    # the homography maps original pixels to the output: scale, flip about
    # the resized width, rotation about the resized centre
    scale = np.diag([60 / 96, 40 / 80, 1.0])
    flip = np.array([[-1, 0, 60], [0, 1, 0], [0, 0, 1]], np.float64)
    centre = ((60 - 1) * 0.5, (40 - 1) * 0.5)
    rot = np.vstack([cv2.getRotationMatrix2D(centre, -30, 1.0), [0, 0, 1]])
    expected = rot @ flip @ scale
    np.testing.assert_allclose(out['homography_matrix'], expected, atol=1e-4)
    # the box is the bounding box of the mapped corners of the original one
    x1, y1, x2, y2 = box_px
    corners = np.array([[x1, y1, 1], [x2, y1, 1], [x1, y2, 1], [x2, y2, 1]])
    mapped = corners @ expected.T
    mapped = mapped[:, :2] / mapped[:, 2:]
    want = [mapped[:, 0].min(), mapped[:, 1].min(), mapped[:, 0].max(),
            mapped[:, 1].max()]
    want = np.clip(want, 0, [60, 40, 60, 40])
    np.testing.assert_allclose(out['gt_bboxes'].numpy()[0], want, atol=1e-3)


def test_old_resize_arguments_point_to_resize_to_spacing():
    with pytest.raises(TypeError, match="ResizeToSpacing.*max_size=512"):
        TRANSFORMS.build(dict(type='LoadDeepLesionSlices',
                              target_spacing=0.802, max_size=512))
    with pytest.raises(TypeError, match='unexpected arguments'):
        TRANSFORMS.build(dict(type='LoadDeepLesionSlices', bogus=1))
    with pytest.raises(KeyError, match='LoadDeepLesionSlices'):
        TRANSFORMS.build(dict(type='ResizeToSpacing'))(
            dict(img=np.zeros((4, 4, 3), np.float32)))
    with pytest.raises(ValueError, match='a.png: in-plane spacing'):
        TRANSFORMS.build(dict(type='ResizeToSpacing'))(
            dict(img=np.zeros((4, 4, 3), np.float32), img_path='a.png',
                 pixel_spacing=(float('nan'), 1.0)))
    with pytest.raises(ValueError, match='target_spacing'):
        TRANSFORMS.build(dict(type='ResizeToSpacing', target_spacing=0))


def test_errors_name_the_file(fixture_root, tmp_path):
    t = TRANSFORMS.build(dict(type='LoadDeepLesionSlices'))
    missing = fixture_root / 'Images_png' / '000002_01_01' / '022.png'
    with pytest.raises(FileNotFoundError, match=str(missing)):
        t(dict(img_path=str(missing), key_slice=22, spacing=[1, 1, 1]))
    eight_bit = tmp_path / '000001_01_01' / '005.png'
    eight_bit.parent.mkdir()
    cv2.imwrite(str(eight_bit), np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match='005.png is not a 16-bit'):
        t(dict(img_path=str(eight_bit), key_slice=5, spacing=[1, 1, 1]))
    with pytest.raises(ValueError, match='not the key slice'):
        t(dict(img_path=str(eight_bit), key_slice=6, spacing=[1, 1, 1]))
    with pytest.raises(ValueError, match='odd'):
        TRANSFORMS.build(dict(type='LoadDeepLesionSlices', num_slices=2))


def test_dataset_carries_the_loader_fields(fixture_root):
    ds = DATASETS.build(
        dict(type='DeepLesionDataset', data_root=str(fixture_root) + '/',
             ann_file='annotations/instances_test.json',
             data_prefix=dict(img=''), test_mode=True, pipeline=[]))
    assert ds.metainfo['classes'] == ('lesion', )
    info = ds.get_data_info(0)  # 000004_01_02 slice 55
    assert info['img_path'].endswith('Images_png/000004_01_02/055.png')
    assert info['key_slice'] == 55 and info['slice_range'] == [50, 60]
    assert info['spacing'] == [0.75, 0.75, 5.0]
    assert [i['noisy'] for i in info['instances']] == [0, 1]
    assert [i['ignore_flag'] for i in info['instances']] == [0, 0]
    assert [i['lesion_type'] for i in info['instances']] == [2, 7]
    assert info['instances'][1]['bbox'] == [38.0, 24.0, 48.0, 34.0]
    ds = DATASETS.build(
        dict(type='DeepLesionDataset', data_root=str(fixture_root) + '/',
             ann_file='annotations/instances_test.json',
             data_prefix=dict(img=''), test_mode=True, pipeline=[],
             noisy_as_ignored=True))
    info = ds.get_data_info(0)
    assert [i['ignore_flag'] for i in info['instances']] == [0, 1]


def test_dataset_bad_input_names_the_file(fixture_root, tmp_path):
    missing = tmp_path / 'annotations' / 'instances_train.json'
    with pytest.raises(FileNotFoundError,
                       match='deeplesion_to_coco.py --data-root'):
        DATASETS.build(dict(type='DeepLesionDataset', ann_file=str(missing),
                            pipeline=[]))
    dsb_like = tmp_path / 'other.json'
    dsb_like.write_text('{"images": [], "annotations": [], "categories": '
                        '[{"id": 1, "name": "nucleus"}]}')
    with pytest.raises(ValueError, match="categories \\['nucleus'\\]"):
        DATASETS.build(dict(type='DeepLesionDataset', ann_file=str(dsb_like),
                            pipeline=[]))
    no_fields = tmp_path / 'plain.json'
    no_fields.write_text(
        '{"images": [{"id": 1, "file_name": "a.png", "width": 8, '
        '"height": 8}], "annotations": [], "categories": [{"id": 1, '
        '"name": "lesion"}]}')
    with pytest.raises(KeyError, match="has no 'key_slice'"):
        DATASETS.build(dict(type='DeepLesionDataset',
                            ann_file=str(no_fields), pipeline=[],
                            data_prefix=dict(img='')))


def config_dataset(fixture_root, name, split):
    cfg = Config.fromfile(
        str(REPO_ROOT / 'configs' / '_base_' / 'datasets' / name))
    loader = cfg.test_dataloader if split == 'test' else cfg.train_dataloader
    dataset = copy.deepcopy(loader.dataset)
    dataset.data_root = str(fixture_root) + '/'
    return cfg, dataset


def test_config_test_pipeline_and_preprocessor(fixture_root):
    """Channel order and values survive the config's test pipeline and the
    DeepLesion data preprocessor: the network sees clip(HU) / 1100."""
    cfg, dataset = config_dataset(fixture_root, 'deeplesion_detection.py',
                                  'test')
    ds = DATASETS.build(dataset)
    sample = ds[0]  # 000004_01_02 slice 55, 0.75 mm pixels
    series = find_series('000004_01_02')
    inputs = sample['inputs']
    assert inputs.shape == (3, 512, 512)
    meta = sample['data_samples'].metainfo
    assert meta['ori_shape'] == (48, 64)
    assert meta['scale_factor'] == (60 / 64, 45 / 48)  # 0.75 / 0.802
    # the ground truth stays in original pixels, noisy lesion ignored
    np.testing.assert_allclose(
        sample['data_samples'].gt_instances.bboxes.numpy(),
        [[12.0, 10.0, 26.0, 22.0]])
    np.testing.assert_allclose(
        sample['data_samples'].ignored_instances.bboxes.numpy(),
        [[38.0, 24.0, 48.0, 34.0]])
    pp_cfg = Config.fromfile(
        str(REPO_ROOT / 'configs/_base_/models/'
            'deeplesion_data_preprocessor.py')).deeplesion_data_preprocessor
    pp = MODELS.build(pp_cfg)
    out = pp(dict(inputs=[inputs], data_samples=[sample['data_samples']]))
    x = out['inputs'][0].numpy()
    # expected: the channels at 0.75 mm, resampled to 60 x 45, padded with
    # air (-1) to 512 x 512
    chans = [[(54, 0.4), (55, 0.6)], [(55, 1.0)], [(55, 1.0)]]
    for c, pairs in enumerate(chans):
        plain = window(mix(series, pairs)).astype(np.float32)
        resized = cv2.resize(plain, (60, 45), interpolation=cv2.INTER_LINEAR)
        np.testing.assert_allclose(x[c, :45, :60], resized, atol=1e-4)
        assert (x[c, 45:, :] == -1).all() and (x[c, :, 60:] == -1).all()


def test_config_train_pipeline_boxes_follow_the_image(fixture_root):
    """Train pipeline (flip, rotation) on a fixture slice: the lesion's
    bright blob stays inside its box."""
    cfg, dataset = config_dataset(fixture_root, 'deeplesion_detection.py',
                                  'train')
    ds = DATASETS.build(dataset)
    torch.manual_seed(0)
    np.random.seed(0)
    for i in range(len(ds)):
        sample = ds[i]
        img = sample['inputs'].numpy()[1]  # key slice, [0, 255]
        assert img.shape == (512, 512)
        boxes = sample['data_samples'].gt_instances.bboxes.numpy()
        assert len(boxes) >= 1
        # lesion pixels: key-slice HU 290..700 (lesion = body + 250; the
        # body stays below 250 HU, the bone block is 1100 after clipping)
        lo, hi = [(v + 1100) / 2200 * 255 for v in (290, 700)]
        band = (img > lo) & (img < hi)
        band[:13] = False  # blurred edges of the (rotated) top bone block
        ys, xs = np.nonzero(band)
        assert len(ys) > 10
        inside = np.zeros(img.shape, bool)
        for x1, y1, x2, y2 in boxes:
            inside[max(int(math.floor(y1)) - 1, 0):int(math.ceil(y2)) + 1,
                   max(int(math.floor(x1)) - 1, 0):int(math.ceil(x2)) + 1] \
                = True
        assert inside[ys, xs].mean() > 0.97
