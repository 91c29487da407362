"""Lesion masks from RECIST diameters (DeepLesionDataset(recist_masks=True)).

The geometry is checked from first principles (the ellipse equation, its
area pi * a * b, its extremes at the end points), the dataset option on the
real-format fixture, and the configs' Mask R-CNN pipeline on it: the
fixture paints each lesion as the ellipse inscribed in its box (+250 HU)
and its RECIST diameters are that ellipse's axes, so the mask must cover
the bright lesion after resampling, flip, rotation and padding.
"""
import copy
import json
import math
import random

import numpy as np
import pytest
from mmdet.registry import DATASETS
from mmengine.config import Config
from pycocotools import mask as mask_utils

from conftest import REPO_ROOT
from fixtures.deeplesion import write_converted_fixture
from mmssmd.datasets.deeplesion import RecistError, recist_polygon

SEMI_INSTANCE = (REPO_ROOT / 'configs' / '_base_' / 'datasets' /
                 'deeplesion_semi_instance_50pct_512.py')


@pytest.fixture(scope='module')
def fixture_root(tmp_path_factory):
    return write_converted_fixture(tmp_path_factory.mktemp('deeplesion'))


def vertices(polygon):
    return np.asarray(polygon, dtype=np.float64).reshape(-1, 2)


def raster(polygon, height, width):
    rle = mask_utils.frPyObjects([polygon], height, width)
    return mask_utils.decode(mask_utils.merge(rle)).astype(bool)


def test_axis_aligned_cross_is_the_ellipse_of_its_diameters():
    # long axis 80 px horizontal, short axis 40 px vertical, centre (50, 50)
    recist = [10, 50, 90, 50, 50, 30, 50, 70]
    polygon = recist_polygon(recist)
    xy = vertices(polygon)
    assert len(xy) == 64  # 16 per quarter
    # every vertex on (x - 50)^2 / 40^2 + (y - 50)^2 / 20^2 = 1
    np.testing.assert_allclose(((xy[:, 0] - 50) / 40)**2 +
                               ((xy[:, 1] - 50) / 20)**2, 1, atol=1e-12)
    # the extremes are the four end points, which are vertices
    assert (xy[:, 0].min(), xy[:, 0].max()) == (10, 90)
    assert (xy[:, 1].min(), xy[:, 1].max()) == (30, 70)
    for point in ([10, 50], [90, 50], [50, 30], [50, 70]):
        assert point in xy.tolist()
    assert xy[0].tolist() == [10, 50]
    # rasterised: area pi * a * b, spanning pixels 10..89 x 30..69
    mask = raster(polygon, 100, 100)
    assert mask.sum() == pytest.approx(math.pi * 40 * 20, rel=0.01)
    ys, xs = np.nonzero(mask)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (10, 89, 30, 69)
    # more vertices, the same ellipse
    fine = vertices(recist_polygon(recist, points_per_quarter=64))
    assert len(fine) == 256
    np.testing.assert_allclose(((fine[:, 0] - 50) / 40)**2 +
                               ((fine[:, 1] - 50) / 20)**2, 1, atol=1e-12)


def test_rotated_cross_is_the_rotated_ellipse():
    """Perpendicular diameters that bisect each other, at 30 degrees."""
    c, s = math.cos(math.pi / 6), math.sin(math.pi / 6)
    cx, cy, a, b = 60.0, 40.0, 30.0, 12.0
    recist = [cx - a * c, cy - a * s, cx + a * c, cy + a * s,
              cx + b * s, cy - b * c, cx - b * s, cy + b * c]
    xy = vertices(recist_polygon(recist))
    u = (xy[:, 0] - cx) * c + (xy[:, 1] - cy) * s  # along the long axis
    v = -(xy[:, 0] - cx) * s + (xy[:, 1] - cy) * c
    np.testing.assert_allclose((u / a)**2 + (v / b)**2, 1, atol=1e-12)
    assert raster(recist_polygon(recist), 100, 120).sum() == pytest.approx(
        math.pi * a * b, rel=0.02)


def test_off_centre_crossing_passes_through_the_end_points():
    """A short axis crossing the long one at a quarter of its length: four
    quarter-ellipses around the crossing, through the four end points and
    within their box; the area is still pi / 4 * long * short."""
    recist = [0, 0, 40, 0, 10, -5, 10, 15]
    xy = vertices(recist_polygon(recist))
    for k, point in enumerate(([0, 0], [10, -5], [40, 0], [10, 15])):
        assert xy[16 * k].tolist() == point
    assert (xy[:, 0].min(), xy[:, 0].max()) == (0, 40)
    assert (xy[:, 1].min(), xy[:, 1].max()) == (-5, 15)
    shifted = (xy + [5, 10]).ravel().tolist()
    assert raster(shifted, 40, 60).sum() == pytest.approx(
        math.pi / 4 * 40 * 20, rel=0.02)


@pytest.mark.parametrize('recist, message', [
    ([1, 2, 3, 4, 5, 6, 7], '8 finite numbers'),
    ([1, 2, 3, 4, 5, 6, 7, float('nan')], '8 finite numbers'),
    ('a string', '8 numbers'),
    ([5, 5, 5, 5, 0, 0, 10, 10], 'length 0'),
    ([0, 0, 10, 0, 0, 5, 10, 5], 'parallel'),
    ([0, 0, 10, 0, 20, -5, 20, 5], 'do not cross'),
    ([0, 0, 10, 0, 5, 1, 5, 6], 'do not cross'),
])
def test_bad_recist_raises(recist, message):
    with pytest.raises(RecistError, match=message):
        recist_polygon(recist)


def build(root, ann_file='annotations/instances_train.json', **kwargs):
    return DATASETS.build(
        dict(type='DeepLesionDataset', data_root=str(root) + '/',
             ann_file=ann_file, data_prefix=dict(img=''), pipeline=[],
             **kwargs))


def test_dataset_gives_every_lesion_its_recist_mask(fixture_root):
    with open(fixture_root / 'annotations' / 'instances_train.json') as f:
        coco = json.load(f)
    recists = {a['id']: a['recist'] for a in coco['annotations']}
    plain = build(fixture_root)
    masked = build(fixture_root, recist_masks=True)
    assert len(plain) == len(masked) > 0
    checked = 0
    for i in range(len(masked)):
        info, ref = masked.get_data_info(i), plain.get_data_info(i)
        assert 'ori_shape' not in ref
        assert info['ori_shape'] == (info['height'], info['width']) == (48, 64)
        ann_ids = [a['id'] for a in coco['annotations']
                   if a['image_id'] == info['img_id']]
        assert len(ann_ids) == len(info['instances'])
        for ann_id, instance, plain_instance in zip(
                ann_ids, info['instances'], ref['instances']):
            assert 'mask' not in plain_instance
            (polygon, ) = instance['mask']
            xy = vertices(polygon)
            recist = np.asarray(recists[ann_id]).reshape(4, 2)
            # the end points in turn: long, short, long, short
            np.testing.assert_allclose(xy[[0, 16, 32, 48]],
                                       recist[[0, 2, 1, 3]])
            # the fixture's RECIST spans its box (x1, y1, x2, y2): so
            # does the mask
            np.testing.assert_allclose(
                [xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(),
                 xy[:, 1].max()], instance['bbox'], atol=1e-9)
            checked += 1
    assert checked == len(coco['annotations'])


def test_missing_or_bad_recist_names_the_file_and_annotation(
        fixture_root, tmp_path):
    with open(fixture_root / 'annotations' / 'instances_train.json') as f:
        coco = json.load(f)
    images = {im['id']: im['file_name'] for im in coco['images']}
    ann = coco['annotations'][1]
    image = images[ann['image_id']]

    missing = copy.deepcopy(coco)
    del missing['annotations'][1]['recist']
    path = tmp_path / 'missing.json'
    path.write_text(json.dumps(missing))
    build(fixture_root, ann_file=str(path))  # fine without the option
    with pytest.raises(KeyError) as info:
        build(fixture_root, ann_file=str(path), recist_masks=True)
    text = str(info.value)
    assert 'missing.json' in text and repr(image) in text
    assert f'annotation {ann["id"]}' in text and "no 'recist'" in text

    bad = copy.deepcopy(coco)
    bad['annotations'][1]['recist'] = ann['recist'][:6]
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps(bad))
    with pytest.raises(RecistError,
                       match=rf"bad.json: image '{image}', annotation "
                       rf"{ann['id']}: RECIST must be 8 finite numbers"):
        build(fixture_root, ann_file=str(path), recist_masks=True)

    with pytest.raises(ValueError, match='recist_mask_points'):
        build(fixture_root, recist_masks=True, recist_mask_points=0)


def erode(mask, steps=1):
    out = mask.copy()
    for _ in range(steps):
        m = out
        out = m.copy()
        out[1:] &= m[:-1]
        out[:-1] &= m[1:]
        out[:, 1:] &= m[:, :-1]
        out[:, :-1] &= m[:, 1:]
    return out


def dilate(mask, steps=1):
    return ~erode(~mask, steps)


def test_config_pipeline_carries_the_masks_with_the_slice(fixture_root):
    """The Mask R-CNN DeepLesion base's labeled pipeline (masks loaded
    before the slice loader, then resampling, flip, rotation, padding):
    each mask is padded with the image, lies in its (rotated) box, keeps
    its area times the resampling scale squared and covers its lesion,
    the ellipse the fixture paints 250 HU brighter than its surroundings.
    """
    cfg = Config.fromfile(str(SEMI_INSTANCE))
    labeled = cfg.train_dataloader.dataset.datasets[0]
    assert labeled.recist_masks is True
    labeled.data_root = str(fixture_root) + '/'
    labeled.ann_file = 'annotations/instances_train.json'
    dataset = DATASETS.build(labeled)
    random.seed(0)
    np.random.seed(0)
    checked = 0
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        out = dataset[i]
        sample = out['data_samples']['sup']
        img = out['inputs']['sup'].numpy().astype(np.float64)
        assert img.shape[1:] == (512, 512)
        gt = sample.gt_instances
        assert len(gt.masks) == len(gt.bboxes) == len(info['instances'])
        masks = gt.masks.to_ndarray().astype(bool)
        assert masks.shape[1:] == (512, 512)
        sx, sy = sample.scale_factor
        for mask, box, instance in zip(masks, gt.bboxes.numpy(),
                                       info['instances']):
            ys, xs = np.nonzero(mask)
            assert xs.min() >= box[0] - 1 and xs.max() <= box[2] + 1
            assert ys.min() >= box[1] - 1 and ys.max() <= box[3] + 1
            x1, y1, x2, y2 = instance['bbox']
            area = math.pi / 4 * (x2 - x1) * sx * (y2 - y1) * sy
            assert mask.sum() == pytest.approx(area, rel=0.2)
            # the key slice (middle channel): the lesion inside, its
            # surroundings 1-3 px outside; 250 HU = 29 grey levels
            inside = img[1][erode(mask)].mean()
            ring = img[1][dilate(mask, 3) & ~dilate(mask, 1)].mean()
            assert inside - ring > 15, (i, inside, ring)
            checked += 1
    assert checked >= 5
