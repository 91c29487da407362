import numpy as np
import pytest
from mmdet.datasets.transforms import FilterAnnotations, Rotate
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks

from mmssmd.datasets.transforms import RecomputeBoxesFromMasks


def disk_results(centres, radius=10, size=100):
    yy, xx = np.mgrid[:size, :size]
    masks = np.stack([((xx - cx)**2 + (yy - cy)**2 <= radius**2)
                      for cx, cy in centres]).astype(np.uint8)
    boxes = HorizontalBoxes.from_instance_masks(BitmapMasks(masks, size,
                                                            size))
    return dict(
        img=np.zeros((size, size, 3), np.uint8),
        img_shape=(size, size),
        gt_bboxes=boxes,
        gt_bboxes_labels=np.zeros(len(centres), np.int64),
        gt_ignore_flags=np.zeros(len(centres), bool),
        gt_masks=BitmapMasks(masks, size, size))


def test_rotation_keeps_disk_box_tight():
    results = disk_results([(50, 50)])
    # a disk about the rotation centre is unchanged by rotation
    tight = results['gt_bboxes'].tensor.numpy().copy()
    np.testing.assert_array_equal(tight, [[40, 40, 61, 61]])
    rotated = Rotate(prob=1.0, min_mag=10.0, max_mag=10.0)(results)
    loose = rotated['gt_bboxes'].tensor.numpy().copy()
    # mmdet's box rotation grows the box (corners of the rotated square)
    assert (loose[0, 2] - loose[0, 0]) > 1.1 * (tight[0, 2] - tight[0, 0])
    out = RecomputeBoxesFromMasks()(rotated)
    np.testing.assert_allclose(out['gt_bboxes'].tensor.numpy(), tight,
                               atol=1)
    assert 'gt_masks' not in out


def test_masks_kept_on_request_and_lost_instances_filtered():
    # second disk lies outside the image after a 90-degree-free shift: use a
    # mask that is empty, as when a nucleus is rotated out of the image
    results = disk_results([(50, 50), (30, 30)])
    results['gt_masks'].masks[1] = 0
    out = RecomputeBoxesFromMasks(keep_masks=True)(results)
    np.testing.assert_array_equal(out['gt_bboxes'].tensor.numpy()[1],
                                  [0, 0, 0, 0])
    assert len(out['gt_masks']) == 2
    out = FilterAnnotations(min_gt_bbox_wh=(1, 1))(out)
    assert len(out['gt_bboxes']) == 1 and len(out['gt_masks']) == 1


def test_needs_masks():
    results = disk_results([(50, 50)])
    del results['gt_masks']
    with pytest.raises(KeyError, match='with_mask'):
        RecomputeBoxesFromMasks()(results)
