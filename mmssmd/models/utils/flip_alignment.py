from typing import List, Sequence, Tuple

import torch
from torch import Tensor


def flip_column_pairing(anchor_generator, featmap_widths: Sequence[int],
                        padded_width: int,
                        device=None) -> List[Tuple[Tensor, Tensor]]:
    """The teacher column that is the mirror partner of each student column.

    The teacher sees ``flip(x)``, the horizontal mirror of the padded batch
    (width ``W_pad``); a point at ``u`` in the student's image lies at
    ``W_pad - u`` in the teacher's. Anchors of level ``l`` are centred at
    ``c_j = j * s + c_0`` (``s`` the stride, ``c_0`` the centre of the
    level's base anchors, ``center_offset * base_size`` in mmdet), so the
    teacher anchor at the mirror position of student anchor ``j`` is::

        k = (W_pad - 2 c_0) / s - j

    Student column ``j`` has a partner when ``k`` is an integer column of the
    teacher's map; otherwise (e.g. column 0 with mmdet's default
    ``center_offset=0``, whose mirror lies at ``x = W_pad``, or every column
    of P7 at 448 px, half a cell off) it has none and ``valid`` is False.
    Anchor widths and heights are unchanged by a flip, so the anchor index
    within a cell pairs with itself.

    Args:
        anchor_generator (AnchorGenerator): The head's prior generator
            (``strides``, ``base_anchors``).
        featmap_widths (Sequence[int]): ``W_l`` per level.
        padded_width (int): ``W_pad``, the width of the flipped tensor.
        device (torch.device, optional): Device of the returned tensors.

    Returns:
        list[tuple[Tensor, Tensor]]: Per level, the teacher column of each
        student column (long, [W_l], 0 where there is no partner) and
        ``valid`` (bool, [W_l]).
    """
    pairing = []
    for lvl, width in enumerate(featmap_widths):
        stride = float(anchor_generator.strides[lvl][0])
        base = anchor_generator.base_anchors[lvl]
        centres = (base[:, 0] + base[:, 2]) / 2
        if not torch.allclose(centres, centres[0].expand_as(centres)):
            raise ValueError(
                f'level {lvl}: base anchors with different centres cannot '
                'be paired under a flip')
        q = (padded_width - 2 * float(centres[0])) / stride
        cols = torch.arange(width, device=device)
        if abs(q - round(q)) > 1e-6:
            valid = torch.zeros(width, dtype=torch.bool, device=device)
            pairing.append((torch.zeros_like(cols), valid))
            continue
        partner = round(q) - cols
        valid = (partner >= 0) & (partner < width)
        pairing.append((torch.where(valid, partner, 0), valid))
    return pairing


def align_flipped_outputs(
        cls_scores: Sequence[Tensor], bbox_preds: Sequence[Tensor],
        anchor_generator, bbox_coder, padded_width: int
) -> Tuple[List[Tensor], List[Tensor], List[Tensor]]:
    """Map dense head outputs of the mirrored image onto the original anchors.

    Each student anchor is paired with the teacher anchor at its physical
    mirror position (:func:`flip_column_pairing`), so class scores, the
    adaptive weight and box deltas are all compared between the same two
    anchors. Both anchors have the same centre (mirrored) and size, so the
    box needs only ``dx`` negated (in the coder's un-normalised units);
    ``dy``, ``dw``, ``dh`` are unchanged. Columns without a partner are
    filled with an arbitrary column and marked invalid; the caller leaves
    them out (:func:`flatten_levels` with ``valid``).

    Args:
        cls_scores (Sequence[Tensor]): Per level, class outputs of the
            mirrored input, [B, A * C, H_l, W_l].
        bbox_preds (Sequence[Tensor]): Per level, box deltas of the mirrored
            input, [B, A * 4, H_l, W_l], channel ``a * 4 + k``, k in (dx,
            dy, dw, dh).
        anchor_generator (AnchorGenerator): The head's prior generator.
        bbox_coder (DeltaXYWHBBoxCoder): The head's box coder (``means``,
            ``stds``).
        padded_width (int): Width of the padded input batch, ``W_pad``.

    Returns:
        tuple[list[Tensor], list[Tensor], list[Tensor]]: Class outputs and
        box deltas in the student's layout (same shapes as the inputs), and
        per level the [W_l] bool mask of student columns that have a
        partner.
    """
    mean, std = float(bbox_coder.means[0]), float(bbox_coder.stds[0])
    pairing = flip_column_pairing(anchor_generator,
                                  [c.shape[-1] for c in cls_scores],
                                  padded_width, cls_scores[0].device)
    aligned_cls, aligned_box, valid_cols = [], [], []
    for cls, box, (partner, valid) in zip(cls_scores, bbox_preds, pairing):
        b, a4, h, w = box.shape
        box = box.index_select(-1, partner).view(b, a4 // 4, 4, h, w)
        dx = -(box[:, :, :1] * std + mean)
        box = torch.cat([(dx - mean) / std, box[:, :, 1:]], dim=2)
        aligned_cls.append(cls.index_select(-1, partner))
        aligned_box.append(box.view(b, a4, h, w))
        valid_cols.append(valid)
    return aligned_cls, aligned_box, valid_cols
