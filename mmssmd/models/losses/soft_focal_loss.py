from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.losses.utils import weight_reduce_loss
from mmdet.registry import MODELS
from torch import Tensor

from .consistency_utils import float32_forward


def soft_focal_loss(pred: Tensor,
                    target: Tensor,
                    alpha0: float = 0.05,
                    alpha1: float = 0.95,
                    gamma: float = 2.0) -> Tensor:
    """Element-wise soft-target focal loss of FocalMix (Wang et al. 2020).

    ``SFL(p, y) = [a0 + y (a1 - a0)] * |y - p|^gamma * BCE(p, y)`` with
    ``p = sigmoid(pred)`` and ``BCE(p, y) = -y log p - (1 - y) log(1 - p)``,
    computed from logits (``binary_cross_entropy_with_logits``) for
    numerical stability.

    Args:
        pred (Tensor): Logits, [N, C].
        target (Tensor): Soft targets in [0, 1], [N, C].
        alpha0 (float): Weight at ``y = 0``.
        alpha1 (float): Weight at ``y = 1``.
        gamma (float): Focusing exponent.

    Returns:
        Tensor: The unreduced loss, [N, C].
    """
    target = target.type_as(pred)
    prob = pred.sigmoid()
    balance = alpha0 + target * (alpha1 - alpha0)
    modulator = (target - prob).abs().pow(gamma)
    bce = F.binary_cross_entropy_with_logits(pred, target, reduction='none')
    return balance * modulator * bce


@MODELS.register_module()
class SoftFocalLoss(nn.Module):
    """Soft-target focal loss (FocalMix, Eq. 4 of Wang et al., CVPR 2020).

    ``SFL(p, y) = [a0 + y (a1 - a0)] * |y - p|^gamma * BCE(p, y)``.

    Why not mmdet's ``FocalLoss``: with one-hot targets mmdet's
    ``py_sigmoid_focal_loss`` computes
    ``[alpha y + (1 - alpha)(1 - y)] * pt^gamma * BCE`` with
    ``pt = (1 - p) y + p (1 - y)``. Its balance term is ours whenever
    ``a0 = 1 - a1`` and ``alpha = a1`` (for any y), but its modulator ``pt``
    equals ``|y - p|`` only for ``y`` in {0, 1}: with a soft target mmdet
    still penalises ``p = y`` (e.g. ``y = p = 0.5`` gives ``0.25 * BCE``),
    while SFL is 0 there. Hence, exactly:

    * for hard 0/1 targets, ``SoftFocalLoss(alpha0=1 - a, alpha1=a, gamma)``
      equals mmdet's ``FocalLoss(use_sigmoid=True, alpha=a, gamma)`` for
      every ``a``; the paper's ``a0 = 0.05, a1 = 0.95`` is therefore mmdet's
      focal loss with ``alpha = 0.95`` (positives weighted 0.95), not
      RetinaNet's default ``alpha = 0.25``. With ``a0 + a1 != 1`` there is
      no mmdet equivalent.
    * for soft targets it is the hand formula above, and it is minimised
      at ``p = y`` (the gradient vanishes there).

    The call signature is mmdet's (``pred, target, weight, avg_factor,
    reduction_override``), so it can be a ``RetinaHead``'s ``loss_cls``:
    ``target`` may be class indices ``[N]`` (``num_classes`` meaning
    background, as mmdet's heads pass them) or soft targets ``[N, C]``.

    Args:
        use_sigmoid (bool): Must be True (sigmoid classifier); read by
            mmdet's ``AnchorHead`` to size its output. Defaults to True.
        alpha0 (float): Balance weight at ``y = 0``. Defaults to 0.05.
        alpha1 (float): Balance weight at ``y = 1``. Defaults to 0.95.
        gamma (float): Focusing exponent. Defaults to 2.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 use_sigmoid: bool = True,
                 alpha0: float = 0.05,
                 alpha1: float = 0.95,
                 gamma: float = 2.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if not use_sigmoid:
            raise ValueError('SoftFocalLoss is a sigmoid (per-class binary) '
                             'loss: use_sigmoid must be True')
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f'unknown reduction {reduction!r}')
        if gamma < 0:
            raise ValueError(f'gamma must be >= 0, got {gamma}')
        self.use_sigmoid = use_sigmoid
        self.alpha0 = float(alpha0)
        self.alpha1 = float(alpha1)
        self.gamma = float(gamma)
        self.reduction = reduction
        self.loss_weight = float(loss_weight)

    @float32_forward
    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): Logits, [N, C].
            target (Tensor): Soft targets [N, C] in [0, 1], or class
                indices [N] (``C`` = background, all-zero target row).
            weight (Tensor, optional): Per-anchor [N] or per-element
                [N, C] weights.
            avg_factor (float, optional): Divisor of the sum for
                ``'mean'`` reduction (e.g. the number of positives).
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: The reduced loss (or [N, C] with ``'none'``).
        """
        if reduction_override not in (None, 'none', 'mean', 'sum'):
            raise ValueError(
                f'unknown reduction_override {reduction_override!r}')
        reduction = reduction_override or self.reduction
        num_classes = pred.size(1)
        if target.dim() == pred.dim() - 1:
            target = F.one_hot(target.long(),
                               num_classes=num_classes + 1)[:, :num_classes]
        if target.shape != pred.shape:
            raise ValueError(f'target shape {tuple(target.shape)} does not '
                             f'match pred shape {tuple(pred.shape)}')
        loss = soft_focal_loss(pred, target, self.alpha0, self.alpha1,
                               self.gamma)
        if weight is not None:
            weight = weight.type_as(loss)
            if weight.shape != loss.shape:
                if weight.dim() == 1 and weight.size(0) == loss.size(0):
                    weight = weight.view(-1, 1)
                else:
                    weight = weight.reshape(loss.shape)
        loss = weight_reduce_loss(loss, weight, reduction, avg_factor)
        return self.loss_weight * loss
