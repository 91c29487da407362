import torch
from mmdet.structures.bbox import bbox_flip
from torch import Tensor


def mirror_rois(rois: Tensor, padded_width: int) -> Tensor:
    """RoIs of the student's view at their mirror position in the teacher's.

    The teacher sees ``flip(x)`` of the padded batch (width ``W_pad``), so
    the region ``(x1, y1, x2, y2)`` (continuous pixel coordinates) is at
    ``(W_pad - x2, y1, W_pad - x1, y2)`` there (mmdet's :func:`bbox_flip`,
    ``'horizontal'``); width, height and image index are unchanged.

    Args:
        rois (Tensor): RoIs of the student's view, [N, 5] (image index,
            x1, y1, x2, y2), as :func:`mmdet.structures.bbox.bbox2roi`.
        padded_width (int): ``W_pad``, the width of the flipped batch.

    Returns:
        Tensor: The mirrored RoIs, [N, 5].
    """
    boxes = bbox_flip(rois[:, 1:], (0, padded_width), 'horizontal')
    return torch.cat([rois[:, :1], boxes], dim=1)


def align_flipped_roi_deltas(bbox_pred: Tensor, bbox_coder) -> Tensor:
    """Box deltas of mirrored RoIs expressed for the original RoIs.

    A RoI and its mirror have the same size and mirrored centres, so the
    box the teacher decodes is the mirror of the student's exactly when its
    ``dx`` is the negated student ``dx`` in un-normalised units (``d * std
    + mean``); ``dy``, ``dw``, ``dh`` are unchanged. Every class's deltas
    are aligned when the head is class-specific.

    Args:
        bbox_pred (Tensor): Deltas of the mirrored RoIs, [N, 4 * K] (K = 1
            for a class-agnostic head, else the number of classes),
            normalised by the head's ``DeltaXYWHBBoxCoder``.
        bbox_coder (DeltaXYWHBBoxCoder): The RoI head's box coder
            (``means``, ``stds``).

    Returns:
        Tensor: The aligned deltas, [N, 4 * K], normalised the same way.
    """
    n, k4 = bbox_pred.shape
    deltas = bbox_pred.view(n, k4 // 4, 4)
    mean, std = float(bbox_coder.means[0]), float(bbox_coder.stds[0])
    dx = -(deltas[..., :1] * std + mean)
    return torch.cat([(dx - mean) / std, deltas[..., 1:]], dim=-1).view(n, k4)


def class_deltas(bbox_pred: Tensor, labels: Tensor) -> Tensor:
    """The deltas of one class per RoI.

    Args:
        bbox_pred (Tensor): [N, 4 * K]; K = 1 (class-agnostic) returns it
            unchanged.
        labels (Tensor): The class of each RoI, long [N], in ``[0, K)``.

    Returns:
        Tensor: [N, 4].
    """
    n, k4 = bbox_pred.shape
    if k4 == 4:
        return bbox_pred
    index = labels.view(n, 1, 1).expand(n, 1, 4)
    return bbox_pred.view(n, k4 // 4, 4).gather(1, index).view(n, 4)
