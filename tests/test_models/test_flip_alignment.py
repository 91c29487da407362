"""The teacher's mirrored outputs land exactly on the student's anchors.

Build the outputs a perfectly flip-equivariant teacher would give: for each
student anchor j the teacher, looking at the mirrored image, predicts the
mirrored box at the anchor that sees it, W_l - 1 - j. Aligning them back
must give the student's deltas exactly, for every level, including P6/P7
whose widths times strides overshoot the padded width.
"""
import pytest
import torch
from mmdet.models.task_modules.coders import DeltaXYWHBBoxCoder
from mmdet.models.task_modules.prior_generators import AnchorGenerator

from mmssmd.models.losses import AdaptiveConsistencyLoss
from mmssmd.models.utils import align_flipped_outputs
from mmssmd.models.detectors.ssmd import flatten_levels

STRIDES = [8, 16, 32, 64, 128]


def feature_sizes(h, w):
    # ResNet/FPN: P3..P5 = ceil(size / s); P6, P7 = stride-2 convs
    sizes = [((h + s - 1) // s, (w + s - 1) // s) for s in STRIDES[:3]]
    for _ in range(2):
        ph, pw = sizes[-1]
        sizes.append(((ph + 1) // 2, (pw + 1) // 2))
    return sizes


def mirrored_teacher_outputs(student_cls, student_box, anchors, coder,
                             sizes, padded_w, num_anchors):
    teacher_cls, teacher_box = [], []
    for lvl, (h, w) in enumerate(sizes):
        b = student_box[lvl].shape[0]
        grid = anchors.single_level_grid_priors((h, w), lvl, device='cpu')
        deltas = student_box[lvl].permute(0, 2, 3, 1).reshape(b, -1, 4)
        boxes = coder.decode(grid.expand(b, -1, -1), deltas)
        mirrored = boxes.clone()
        mirrored[..., 0] = padded_w - boxes[..., 2]
        mirrored[..., 2] = padded_w - boxes[..., 0]
        # the teacher anchor seeing the mirrored box sits at column w-1-j
        mirrored = mirrored.view(b, h, w, num_anchors, 4).flip(2)
        t = coder.encode(grid.expand(b, -1, -1).reshape(-1, 4),
                         mirrored.reshape(-1, 4)).view(b, h, w, -1)
        teacher_box.append(t.permute(0, 3, 1, 2))
        teacher_cls.append(student_cls[lvl].flip(-1))
    return teacher_cls, teacher_box


@pytest.mark.parametrize('offset,padded', [(0.0, (448, 448)),
                                           (0.0, (448, 480)),
                                           (0.5, (512, 512)),
                                           (0.5, (448, 416))])
def test_mirrored_outputs_align_exactly(offset, padded):
    torch.manual_seed(0)
    anchors = AnchorGenerator(
        strides=STRIDES, ratios=[0.5, 1.0, 2.0], octave_base_scale=4,
        scales_per_octave=3, center_offset=offset)
    coder = DeltaXYWHBBoxCoder(target_means=[0.1, 0., 0., 0.],
                               target_stds=[0.5, 1., 1., 1.])
    num_anchors = anchors.num_base_priors[0]
    sizes = feature_sizes(*padded)
    s_cls = [torch.randn(2, num_anchors, h, w) for h, w in sizes]
    s_box = [0.3 * torch.randn(2, 4 * num_anchors, h, w) for h, w in sizes]
    t_cls, t_box = mirrored_teacher_outputs(s_cls, s_box, anchors, coder,
                                            sizes, padded[1], num_anchors)
    a_cls, a_box = align_flipped_outputs(t_cls, t_box, anchors, coder,
                                         padded[1])
    for lvl in range(len(sizes)):
        torch.testing.assert_close(a_cls[lvl], s_cls[lvl])
        torch.testing.assert_close(a_box[lvl], s_box[lvl], atol=1e-4,
                                   rtol=1e-4)
    loss = AdaptiveConsistencyLoss()(*flatten_levels(s_cls, s_box, 1)[:1],
                                     *flatten_levels(a_cls, a_box, 1)[:1],
                                     flatten_levels(s_cls, s_box, 1)[1],
                                     flatten_levels(a_cls, a_box, 1)[1])
    assert loss['loss_consistency_cls'].item() == pytest.approx(0, abs=1e-6)
    assert loss['loss_consistency_box'].item() == pytest.approx(0, abs=1e-6)

    # off by one column: the alignment must be exact, not approximately so
    shifted = [b.roll(1, dims=-1) for b in t_box]
    s_cls_f, s_box_f = flatten_levels(s_cls, s_box, 1)
    o_cls, o_box = align_flipped_outputs(t_cls, shifted, anchors, coder,
                                         padded[1])
    o_cls_f, o_box_f = flatten_levels(o_cls, o_box, 1)
    off = AdaptiveConsistencyLoss()(s_cls_f, o_cls_f, s_box_f, o_box_f)
    assert off['loss_consistency_box'].item() > 1e-3


def test_without_the_correction_dx_is_off_by_a_stride():
    """Plain flip + negation (no shift term) is wrong with offset 0."""
    anchors = AnchorGenerator(
        strides=STRIDES, ratios=[1.0], octave_base_scale=4,
        scales_per_octave=1, center_offset=0.)
    coder = DeltaXYWHBBoxCoder()
    sizes = feature_sizes(448, 448)
    s_cls = [torch.zeros(1, 1, h, w) for h, w in sizes]
    s_box = [torch.zeros(1, 4, h, w) for h, w in sizes]
    t_cls, t_box = mirrored_teacher_outputs(s_cls, s_box, anchors, coder,
                                            sizes, 448, 1)
    # P3: anchors 32 px wide, stride 8: a naive -dx_t misses by 8/32
    naive_dx = -t_box[0].flip(-1)[:, 0]
    assert torch.allclose(naive_dx, torch.full_like(naive_dx, -8 / 32))
