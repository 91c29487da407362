from typing import List, Optional, Sequence, Tuple

import torch
from mmdet.models.utils import levels_to_images
from torch import Tensor


def flatten_levels(
        cls_scores: Sequence[Tensor],
        bbox_preds: Sequence[Tensor],
        num_classes: int,
        valid_cols: Optional[Sequence[Tensor]] = None
) -> Tuple[List[Tensor], List[Tensor]]:
    """Per-level dense outputs as per-level rows of anchors.

    ``[B, A*C, H, W]`` / ``[B, A*4, H, W]`` become ``[N_l, C]`` /
    ``[N_l, 4]`` with the anchors image-major (image, row, column, anchor:
    mmdet's prior order within an image). With ``valid_cols`` (per level a
    [W_l] bool mask, e.g. from :func:`align_flipped_outputs`) only the
    anchors of valid columns are kept; every image keeps the same number,
    so rows stay image-major.

    Args:
        cls_scores (Sequence[Tensor]): Per level [B, A*C, H_l, W_l].
        bbox_preds (Sequence[Tensor]): Per level [B, A*4, H_l, W_l].
        num_classes (int): C.
        valid_cols (Sequence[Tensor], optional): Per level [W_l] bool.

    Returns:
        tuple[list[Tensor], list[Tensor]]: Per level [N_l, C] and [N_l, 4].
    """
    cls_out, box_out = [], []
    for lvl, (cls, box) in enumerate(zip(cls_scores, bbox_preds)):
        b, _, h, w = cls.shape
        cls = cls.permute(0, 2, 3, 1).reshape(b, h, w, -1, num_classes)
        box = box.permute(0, 2, 3, 1).reshape(b, h, w, -1, 4)
        if valid_cols is not None:
            cols = valid_cols[lvl]
            cls, box = cls[:, :, cols], box[:, :, cols]
        cls_out.append(cls.reshape(-1, num_classes))
        box_out.append(box.reshape(-1, 4))
    return cls_out, box_out


def images_to_anchor_major(outputs: Sequence[Tensor],
                           channels: int) -> Tensor:
    """Per level [B, A*K, H_l, W_l] -> [B, N, K], N = sum_l H_l * W_l * A.

    mmdet's :func:`levels_to_images` (per image, the levels concatenated)
    with the anchors split off the channels: the anchor order is mmdet's
    (level, then row, column, anchor), that of
    ``AnchorGenerator.grid_priors`` and ``get_targets``.

    Args:
        outputs (Sequence[Tensor]): Per level [B, A*K, H_l, W_l], the same
            ``A*K`` at every level.
        channels (int): K, the values per anchor.

    Returns:
        Tensor: [B, N, K].
    """
    per_image = levels_to_images([o.contiguous() for o in outputs])
    return torch.stack(per_image).reshape(len(per_image), -1, channels)
