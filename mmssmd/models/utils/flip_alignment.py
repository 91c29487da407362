from typing import List, Sequence, Tuple

from torch import Tensor


def align_flipped_outputs(
        cls_scores: Sequence[Tensor], bbox_preds: Sequence[Tensor],
        anchor_generator, bbox_coder,
        padded_width: int) -> Tuple[List[Tensor], List[Tensor]]:
    """Map dense head outputs of the mirrored image onto the original anchors.

    The teacher sees ``flip(x)``, the horizontal mirror of the padded batch
    the student sees. Its outputs are mirrored back along the width, so that
    feature column ``k`` of the teacher lands on student column
    ``W_l - 1 - k``; class logits then need nothing more (a flip does not
    change the anchor shape, so the anchor index ``a`` needs no
    permutation). Box deltas need ``dx`` negated, plus a correction: with
    anchor centres at ``(j + o) * s`` (``o`` = ``center_offset``, ``s`` the
    stride, ``W_l`` the feature width), the mirror of teacher cell
    ``W_l - 1 - j`` sits ``shift = W_pad - W_l * s + (1 - 2 o) s`` pixels to
    the right of student cell ``j``, so the same box has::

        dx_student = -dx_teacher + shift / w_anchor

    (in the coder's un-normalised units; ``dy``, ``dw``, ``dh`` are
    unchanged). The correction vanishes only with ``o = 0.5`` and
    ``W_pad = W_l * s`` at every level; mmdet's default ``o = 0`` and the
    stride-2 P6/P7 convs make it nonzero, and omitting it biases every
    consistency target by one stride.

    Args:
        cls_scores (Sequence[Tensor]): Per level, teacher class logits of
            the mirrored input, [B, A * C, H_l, W_l].
        bbox_preds (Sequence[Tensor]): Per level, teacher box deltas of the
            mirrored input, [B, A * 4, H_l, W_l], channel ``a * 4 + k``,
            k in (dx, dy, dw, dh).
        anchor_generator (AnchorGenerator): The head's anchor generator
            (``strides``, ``center_offset``, ``base_anchors``).
        bbox_coder (DeltaXYWHBBoxCoder): The head's box coder (``means``,
            ``stds``).
        padded_width (int): Width of the padded input batch, ``W_pad``.

    Returns:
        tuple[list[Tensor], list[Tensor]]: Class logits and box deltas in
        the student's layout, same shapes as the inputs.
    """
    mean, std = float(bbox_coder.means[0]), float(bbox_coder.stds[0])
    offset = anchor_generator.center_offset
    aligned_cls, aligned_box = [], []
    for lvl, (cls, box) in enumerate(zip(cls_scores, bbox_preds)):
        b, a4, h, w = box.shape
        num_anchors = a4 // 4
        stride_w = float(anchor_generator.strides[lvl][0])
        shift = padded_width - w * stride_w + (1 - 2 * offset) * stride_w
        base = anchor_generator.base_anchors[lvl].to(box)
        anchor_w = (base[:, 2] - base[:, 0]).view(1, num_anchors, 1, 1)
        box = box.flip(-1).view(b, num_anchors, 4, h, w)
        dx = -(box[:, :, 0] * std + mean) + shift / anchor_w
        box = box.clone()
        box[:, :, 0] = (dx - mean) / std
        aligned_cls.append(cls.flip(-1))
        aligned_box.append(box.view(b, a4, h, w))
    return aligned_cls, aligned_box
