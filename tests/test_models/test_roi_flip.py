"""Pairing of a student RoI with its mirror in the teacher's view.

The teacher sees ``flip(x)`` of the padded batch; a RoI head that reads
the image at the RoI's absolute position must, on the mirrored RoI, give the
student's outputs back once its deltas are aligned: zero consistency. Off by
one pixel in the mirror, it must not."""
import pytest
import torch
from mmcv.ops import RoIAlign
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import bbox_overlaps

import mmssmd  # noqa: F401
from mmssmd.models.utils import (align_flipped_roi_deltas, class_deltas,
                                 mirror_rois)

W_PAD, H = 64, 48
MEANS, STDS = (0.1, -0.2, 0.05, 0.3), (0.5, 0.25, 0.2, 0.4)
# one bright rectangle per channel (= per class), pixel columns x1..x2-1
RECTS = [(10, 6, 24, 20), (30, 25, 52, 40)]
# student RoIs: image index, x1, y1, x2, y2 (continuous coordinates)
ROIS = torch.tensor([[0., 8., 4., 26., 22.], [0., 28., 22., 50., 44.],
                     [1., 12.5, 10., 40., 30.], [1., 3., 2., 20., 18.]])


def coder():
    return TASK_UTILS.build(dict(type='DeltaXYWHBBoxCoder',
                                 target_means=MEANS, target_stds=STDS))


def images() -> torch.Tensor:
    """Two images, channel k bright on ``RECTS[k]`` (both images)."""
    x = torch.zeros(2, len(RECTS), H, W_PAD)
    for k, (x1, y1, x2, y2) in enumerate(RECTS):
        x[:, k, y1:y2, x1:x2] = 1.0
    return x


def fake_roi_head(x: torch.Tensor, rois: torch.Tensor):
    """Class logits and class-specific deltas from the pixels: class k's
    box is the extent of channel k's bright pixels in the RoI's image
    (absolute pixel coordinates); its logit is 5 * IoU(RoI, box), the
    background logit 1; its deltas are mmdet's encoding of the box
    relative to the RoI with non-zero means and stds."""
    cls, box = [], []
    for roi in rois:
        img = x[int(roi[0])]
        logits, deltas = [], []
        for k in range(img.shape[0]):
            ys, xs = torch.nonzero(img[k] > 0.5, as_tuple=True)
            target = torch.stack([xs.min(), ys.min(), xs.max() + 1,
                                  ys.max() + 1]).float()[None]
            logits.append(5 * bbox_overlaps(roi[None, 1:], target)[0, 0])
            deltas.append(coder().encode(roi[None, 1:], target)[0])
        cls.append(torch.stack(logits + [torch.tensor(1.)]))
        box.append(torch.cat(deltas))
    return torch.stack(cls), torch.stack(box)


def roi_consistency(student, teacher):
    """The RoI consistency of the teacher's (aligned) outputs, deltas of
    the teacher's most likely foreground class."""
    (s_cls, s_box), (t_cls, t_box) = student, teacher
    labels = t_cls[:, :-1].argmax(dim=1)
    loss = MODELS.build(dict(type='SoftmaxAdaptiveConsistencyLoss'))
    out = loss([s_cls], [t_cls], [class_deltas(s_box, labels)],
               [class_deltas(t_box, labels)])
    return out['loss_consistency_cls'], out['loss_consistency_box']


def test_mirror_rois_in_pixel_coordinates():
    got = mirror_rois(torch.tensor([[1., 10., 5., 30., 25.]]), W_PAD)
    # columns 10..29 (continuous [10, 30)) land on 34..53 of the mirror
    assert got.tolist() == [[1., 34., 5., 54., 25.]]


def test_mirrored_roi_pools_the_mirrored_pixels():
    """mmcv's RoIAlign (aligned, continuous coordinates) on the mirrored
    image and RoI gives the mirrored features: the pairing is exact."""
    torch.manual_seed(0)
    feat = torch.rand(2, 3, H, W_PAD)
    align = RoIAlign(7, spatial_scale=1.0, sampling_ratio=0, aligned=True)
    student = align(feat, ROIS)
    teacher = align(feat.flip(-1), mirror_rois(ROIS, W_PAD))
    torch.testing.assert_close(teacher.flip(-1), student)
    off = align(feat.flip(-1), mirror_rois(ROIS, W_PAD - 1))
    assert not torch.allclose(off.flip(-1), student, atol=1e-3)


def test_position_dependent_head_gives_zero_consistency():
    x = images()
    student = fake_roi_head(x, ROIS)
    t_cls, t_box = fake_roi_head(x.flip(-1), mirror_rois(ROIS, W_PAD))
    teacher = (t_cls, align_flipped_roi_deltas(t_box, coder()))
    # the head is not trivially symmetric: unaligned deltas differ
    assert not torch.allclose(t_box, student[1], atol=1e-3)
    cls_loss, box_loss = roi_consistency(student, teacher)
    assert cls_loss.abs() < 1e-6 and box_loss.abs() < 1e-6
    torch.testing.assert_close(teacher[1], student[1])


@pytest.mark.parametrize('width', [W_PAD - 1, W_PAD + 1])
def test_mirror_off_by_one_pixel_gives_nonzero_consistency(width):
    x = images()
    student = fake_roi_head(x, ROIS)
    t_cls, t_box = fake_roi_head(x.flip(-1), mirror_rois(ROIS, width))
    teacher = (t_cls, align_flipped_roi_deltas(t_box, coder()))
    cls_loss, box_loss = roi_consistency(student, teacher)
    assert box_loss > 1e-3 and cls_loss > 0


def test_dx_negated_for_every_class_with_means_and_stds():
    """Mirrored RoI (34, 10, 54, 20) of (10, 10, 30, 20) at W 64: class 0's
    box centre 5 px right of the RoI's (dx 0.25) is 5 px left in the
    mirror (dx -0.25); class 1's dx 0.5 becomes -0.5. dy, dw, dh stay."""
    d = {0: (-0.25, 0.3, 0.1, -0.2), 1: (-0.5, -0.1, 0.4, 0.0)}  # mirror
    normalised = [(v - m) / s for k in (0, 1)
                  for v, m, s in zip(d[k], MEANS, STDS)]
    aligned = align_flipped_roi_deltas(torch.tensor([normalised]), coder())
    expected = [(v - m) / s for k in (0, 1)
                for v, m, s in zip((-d[k][0], ) + d[k][1:], MEANS, STDS)]
    torch.testing.assert_close(aligned, torch.tensor([expected]))
    # decoded on the student RoI, the aligned deltas give the mirror of
    # the teacher's box: class 0 centred at 25 (mirror 39), width 20 *
    # exp(0.1)
    box = coder().decode(torch.tensor([[10., 10., 30., 20.]]),
                         aligned[:, :4])
    mirror = coder().decode(torch.tensor([[34., 10., 54., 20.]]),
                            torch.tensor([normalised[:4]]))
    assert (box[0, 0] + box[0, 2]) / 2 == pytest.approx(25.0)
    assert (mirror[0, 0] + mirror[0, 2]) / 2 == pytest.approx(39.0)
    torch.testing.assert_close(box[0, [0, 2]], W_PAD - mirror[0, [2, 0]])


def test_class_deltas_picks_the_labelled_class():
    pred = torch.arange(24.).view(3, 8)  # 2 classes
    got = class_deltas(pred, torch.tensor([1, 0, 1]))
    assert got.tolist() == [[4., 5., 6., 7.], [8., 9., 10., 11.],
                            [20., 21., 22., 23.]]
    agnostic = torch.rand(3, 4)
    assert class_deltas(agnostic, torch.tensor([0, 0, 0])) is agnostic
