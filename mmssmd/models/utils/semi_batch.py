from typing import Dict, Sequence, Tuple

from mmdet.models.utils import (rename_loss_dict, reweight_loss_dict,
                                unpack_gt_instances)
from mmdet.structures import SampleList
from mmengine.model import stack_batch
from torch import Tensor

from .loss_ratio import consistency_ratio


def stack_branches(
        multi_batch_inputs: Dict[str, Tensor]) -> Tuple[Tensor, int]:
    """The ``'sup'`` and optional ``'unsup'`` images as one padded batch.

    mmengine's ``stack_batch`` pads every image right/bottom with zeros to
    the largest height and width, so image coordinates are unchanged (as
    ``DetDataPreprocessor`` pads).

    Args:
        multi_batch_inputs (dict[str, Tensor]): ``'sup'`` [B_s, C, H_s, W_s]
            and optionally ``'unsup'`` [B_u, C, H_u, W_u] (or None).

    Returns:
        tuple[Tensor, int]: The batch [B_s + B_u, C, H, W], labeled images
        first, and ``B_s``.
    """
    sup = multi_batch_inputs['sup']
    images = list(sup)
    if multi_batch_inputs.get('unsup') is not None:
        images += list(multi_batch_inputs['unsup'])
    return stack_batch(images), sup.shape[0]


def supervised_losses(head, cls_scores: Sequence[Tensor],
                      bbox_preds: Sequence[Tensor], sup_samples: SampleList,
                      weight: float) -> dict:
    """The head's ``loss_by_feat`` on the labeled images, prefixed ``sup_``.

    Args:
        head (nn.Module): A dense head with ``loss_by_feat``.
        cls_scores (Sequence[Tensor]): Per level [B, A*C, H_l, W_l], the
            labeled images first.
        bbox_preds (Sequence[Tensor]): Per level [B, A*4, H_l, W_l].
        sup_samples (list[DetDataSample]): The labeled images' samples.
        weight (float): Multiplier of every loss (``reweight_loss_dict``).

    Returns:
        dict: ``sup_loss_cls``, ``sup_loss_bbox`` (the head's keys with the
        ``sup_`` prefix).
    """
    num_sup = len(sup_samples)
    gt_instances, gt_ignore, img_metas = unpack_gt_instances(sup_samples)
    losses = head.loss_by_feat([c[:num_sup] for c in cls_scores],
                               [b[:num_sup] for b in bbox_preds], gt_instances,
                               img_metas, gt_ignore)
    return rename_loss_dict('sup_', reweight_loss_dict(losses, weight))


def add_consistency_losses(losses: dict, cons_cls: Tensor, cons_box: Tensor,
                           weight: float, anchor_weight: Tensor) -> dict:
    """Add the weighted consistency terms and their logged statistics.

    Args:
        losses (dict): The supervised losses (``sup_*``); updated in place.
        cons_cls (Tensor): The consistency class term.
        cons_box (Tensor): The consistency box term.
        weight (float): The consistency weight of the step.
        anchor_weight (Tensor): The loss's ``consistency_anchor_weight``.

    Returns:
        dict: ``losses`` with ``cons_loss_cls``, ``cons_loss_bbox`` and, for
        logging only (no ``loss`` in the name), ``consistency_lambda``,
        ``consistency_anchor_weight`` and ``consistency_to_sup_ratio``.
    """
    losses['cons_loss_cls'] = weight * cons_cls
    losses['cons_loss_bbox'] = weight * cons_box
    losses['consistency_lambda'] = cons_cls.new_tensor(weight)
    losses['consistency_anchor_weight'] = anchor_weight
    losses['consistency_to_sup_ratio'] = consistency_ratio(
        losses, 'cons_loss_', 'sup_loss_')
    return losses
