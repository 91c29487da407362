"""Each student anchor is compared with the teacher anchor at its mirror.

The expectation is built from physical positions, not from the code's
convention (the fake flip-equivariant head of ``fixtures/mirror_scene``).
After alignment, every student anchor that has a partner (an anchor of the
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

from fixtures.mirror_scene import head_outputs, partner_columns
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
