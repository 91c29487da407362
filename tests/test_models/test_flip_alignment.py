"""Each student anchor is compared with the teacher anchor at its mirror.

The expectation is built from physical positions, not from the code's
convention: a fake, perfectly flip-equivariant head predicts, for an anchor
centred at ``(u, v)`` in the ORIGINAL image, a class logit ``f(u, v, a)``
and a box ``g(u, v, a)`` in original-image pixels. The student sees the
original image, so its anchor ``(cx, cy)`` gives ``f(cx, cy)`` and
``g(cx, cy)``; the teacher sees the mirrored padded batch, so its anchor
``(cx', cy)`` looks at the original position ``W_pad - cx'`` and predicts
``f(W_pad - cx', cy)`` and the mirror of ``g(W_pad - cx', cy)``. After
alignment, every student anchor that has a partner (an anchor of the
teacher's map centred exactly at its mirror position, found by searching
the generator's own grid) must read exactly its own values; the others
must be flagged invalid. A plain ``flip(-1)`` pairs neighbours (one stride
apart with mmdet's ``center_offset=0``) and fails this.
"""
import math

import pytest
import torch
from mmdet.models.task_modules.coders import DeltaXYWHBBoxCoder
from mmdet.models.task_modules.prior_generators import AnchorGenerator

from mmssmd.models.losses import AdaptiveConsistencyLoss
from mmssmd.models.utils import (align_flipped_outputs, flatten_levels,
                                 flip_column_pairing)

STRIDES = [8, 16, 32, 64, 128]


def feature_sizes(h, w):
    # ResNet/FPN: P3..P5 = ceil(size / s); P6, P7 = stride-2 convs
    sizes = [(math.ceil(h / s), math.ceil(w / s)) for s in STRIDES[:3]]
    for _ in range(2):
        ph, pw = sizes[-1]
        sizes.append(((ph + 1) // 2, (pw + 1) // 2))
    return sizes


def scene_logit(u, v, a):
    """Class logit an equivariant head gives at original position (u, v)."""
    return torch.sin(u / 7.0) + torch.cos(v / 5.0) + 0.3 * a


def scene_box(u, v, anchors):
    """The box (original pixels) predicted at original position (u, v)."""
    w = anchors[:, 2] - anchors[:, 0]
    h = anchors[:, 3] - anchors[:, 1]
    cx = u + 0.2 * w * torch.sin(u / 11.0)
    cy = v + 0.1 * h * torch.cos(v / 13.0)
    bw = w * (1.2 + 0.3 * torch.sin(u / 17.0))
    bh = h * (0.9 + 0.2 * torch.cos(u / 19.0))
    return torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2],
                       dim=-1)


def head_outputs(anchor_gen, coder, sizes, padded_w, mirrored):
    """Per level [1, A, H, W] logits and [1, 4A, H, W] deltas of the fake
    head on the original (``mirrored=False``) or mirrored input."""
    cls_out, box_out = [], []
    num_anchors = anchor_gen.num_base_priors[0]
    for lvl, (h, w) in enumerate(sizes):
        grid = anchor_gen.single_level_grid_priors((h, w), lvl, device='cpu')
        cx = (grid[:, 0] + grid[:, 2]) / 2
        cy = (grid[:, 1] + grid[:, 3]) / 2
        a = torch.arange(num_anchors).repeat(h * w).float()
        u = padded_w - cx if mirrored else cx  # position in the original
        logit = scene_logit(u, cy, a)
        box = scene_box(u, cy, grid)
        if mirrored:  # the teacher predicts the mirror of that box
            box = torch.stack([padded_w - box[:, 2], box[:, 1],
                               padded_w - box[:, 0], box[:, 3]], dim=-1)
        deltas = coder.encode(grid, box)
        cls_out.append(logit.view(1, h, w, num_anchors).permute(0, 3, 1, 2))
        box_out.append(
            deltas.view(1, h, w, num_anchors * 4).permute(0, 3, 1, 2))
    return cls_out, box_out


def partner_columns(anchor_gen, sizes, padded_w):
    """Student columns whose mirror position holds a teacher anchor centre,
    found by searching the generator's grid."""
    expected = []
    for lvl, (h, w) in enumerate(sizes):
        grid = anchor_gen.single_level_grid_priors((1, w), lvl, device='cpu')
        centres = ((grid[:, 0] + grid[:, 2]) / 2).view(w, -1)[:, 0]
        mirrors = padded_w - centres
        hit = (mirrors[:, None] - centres[None, :]).abs().min(dim=1).values
        expected.append(hit < 1e-3)
    return expected


@pytest.mark.parametrize('offset,padded', [(0.0, (448, 448)),
                                           (0.0, (448, 480)),
                                           (0.0, (512, 512)),
                                           (0.5, (512, 512)),
                                           (0.5, (448, 416))])
def test_each_anchor_meets_its_physical_mirror(offset, padded):
    anchor_gen = AnchorGenerator(
        strides=STRIDES, ratios=[0.5, 1.0, 2.0], octave_base_scale=4,
        scales_per_octave=3, center_offset=offset)
    coder = DeltaXYWHBBoxCoder(target_means=[0.1, 0., 0., 0.],
                               target_stds=[0.5, 1., 1., 1.])
    sizes = feature_sizes(*padded)
    s_cls, s_box = head_outputs(anchor_gen, coder, sizes, padded[1], False)
    t_cls, t_box = head_outputs(anchor_gen, coder, sizes, padded[1], True)
    a_cls, a_box, valid = align_flipped_outputs(t_cls, t_box, anchor_gen,
                                                coder, padded[1])
    expected = partner_columns(anchor_gen, sizes, padded[1])
    for lvl in range(len(sizes)):
        assert torch.equal(valid[lvl], expected[lvl]), lvl
        cols = valid[lvl]
        torch.testing.assert_close(a_cls[lvl][..., cols],
                                   s_cls[lvl][..., cols])
        torch.testing.assert_close(a_box[lvl][..., cols],
                                   s_box[lvl][..., cols], atol=1e-4,
                                   rtol=1e-4)
    # the paired consistency of an equivariant teacher is zero
    s_flat = flatten_levels(s_cls, s_box, 1, valid)
    t_flat = flatten_levels(a_cls, a_box, 1, valid)
    loss = AdaptiveConsistencyLoss()(s_flat[0], t_flat[0], s_flat[1],
                                     t_flat[1])
    assert loss['loss_consistency_cls'].item() == pytest.approx(0, abs=1e-6)
    assert loss['loss_consistency_box'].item() == pytest.approx(0, abs=1e-6)


def test_unpaired_columns_are_the_documented_ones():
    """mmdet's offset 0 at 448 px: column 0 of P3..P6 (its mirror is
    x = 448, outside) and all of P7 (448 / 128 = 3.5: half a cell off)."""
    anchor_gen = AnchorGenerator(strides=STRIDES, ratios=[1.0],
                                 octave_base_scale=4, scales_per_octave=1)
    widths = [w for _, w in feature_sizes(448, 448)]
    valid = [v for _, v in flip_column_pairing(anchor_gen, widths, 448)]
    for lvl in range(4):
        assert not valid[lvl][0] and valid[lvl][1:].all()
    assert not valid[4].any()
    # at 512 px every level pairs, again all but column 0
    widths = [w for _, w in feature_sizes(512, 512)]
    valid = [v for _, v in flip_column_pairing(anchor_gen, widths, 512)]
    assert all(not v[0] and v[1:].all() for v in valid)


def test_plain_flip_pairs_neighbours():
    """What the old alignment did: ``flip(-1)`` of the teacher's classes.
    With offset 0 each student anchor then reads the scene one stride to
    its right, which is not its own value."""
    anchor_gen = AnchorGenerator(strides=STRIDES, ratios=[1.0],
                                 octave_base_scale=4, scales_per_octave=1)
    coder = DeltaXYWHBBoxCoder()
    sizes = feature_sizes(448, 448)
    s_cls, s_box = head_outputs(anchor_gen, coder, sizes, 448, False)
    t_cls, _ = head_outputs(anchor_gen, coder, sizes, 448, True)
    plain = t_cls[0].flip(-1)
    # student column j + 1 holds what the plain flip puts at column j
    torch.testing.assert_close(plain[..., :-1], s_cls[0][..., 1:])
    assert (plain - s_cls[0]).abs().max() > 0.1
