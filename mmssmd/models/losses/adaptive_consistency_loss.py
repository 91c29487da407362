from typing import Dict, Optional, Sequence

import torch
from mmdet.registry import MODELS
from torch import Tensor

from .consistency_utils import (BaseConsistencyLoss, float32_forward,
                                softmax_foreground, softmax_kl)


@MODELS.register_module()
class AdaptiveConsistencyLoss(BaseConsistencyLoss):
    """The adaptive consistency cost of SSMD (Eqs. 4-5).

    At every anchor of the used levels, ``W * (KL(p_t || p_s) + sum_k
    (d_s,k - d_t,k)^2)`` with the detached weight ``W = (fg_s^2 + fg_t^2) /
    2``, ``fg`` the largest class probability of the student (``s``) or the
    teacher (``t``); the sum over anchors is divided according to
    ``reduction``. See docs/methods.md#adaptiveconsistencyloss.

    Args:
        components (Sequence[str]): Which terms to use among ``'c'`` (class
            KL) and ``'x', 'y', 'w', 'h'`` (box deltas) (Table 7).
            Defaults to all five.
        levels (Sequence[int], optional): Indices of the pyramid levels used,
            finest first (Table 9). None uses every level. Defaults to None.
        loss_weight (float): Multiplier of both terms. Defaults to 1.0.
        reduction (str): ``'weighted_mean'`` (``sum(W * l) / sum(W)`` over
            all used anchors), ``'mean'`` (per-level mean of ``W * l``,
            levels summed) or ``'foreground'`` (``sum(W * l)`` over the
            number of anchors whose student foreground beats background).
            Defaults to ``'weighted_mean'``.
    """

    REDUCTIONS = ('weighted_mean', 'mean', 'foreground')

    def __init__(self,
                 components: Sequence[str] = ('c', 'x', 'y', 'w', 'h'),
                 levels: Optional[Sequence[int]] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'weighted_mean') -> None:
        if reduction not in self.REDUCTIONS:
            raise ValueError(f'reduction must be one of {self.REDUCTIONS}, '
                             f'got {reduction!r}')
        super().__init__(components, levels, loss_weight)
        self.reduction = reduction

    @float32_forward
    def forward(self, student_cls: Sequence[Tensor],
                teacher_cls: Sequence[Tensor], student_box: Sequence[Tensor],
                teacher_box: Sequence[Tensor]) -> Dict[str, Tensor]:
        """Compute the cost over the used levels.

        Args:
            student_cls (Sequence[Tensor]): Per level, student class logits,
                [N_l, C] (N_l anchors of the level over the batch).
            teacher_cls (Sequence[Tensor]): Per level, teacher class logits
                at the same anchors, [N_l, C].
            student_box (Sequence[Tensor]): Per level, student box deltas
                (dx, dy, dw, dh), [N_l, 4].
            teacher_box (Sequence[Tensor]): Per level, aligned teacher box
                deltas, [N_l, 4].

        Returns:
            dict: ``loss_consistency_cls`` and ``loss_consistency_box``
            (each zero when its components are not used), and
            ``consistency_anchor_weight``, the mean weight ``W`` over the
            used levels, for logging.
        """
        inputs, num_levels, zero = self.level_inputs(student_cls, teacher_cls,
                                                     student_box, teacher_box)
        cls_loss, box_loss, weight_stat = zero, zero, zero.detach()
        # pooled reductions: numerators summed over levels, one denominator
        pooled_denom = zero.detach()
        for z_s, z_t, d_s, d_t, fg_s in inputs:
            fg_t = self.foreground(z_t)
            weight = (fg_s**2 + fg_t**2) / 2
            if self.reduction == 'mean':
                denom = weight.new_tensor(float(weight.numel()))
            elif self.reduction == 'weighted_mean':
                denom = weight.new_tensor(1.)
                pooled_denom = pooled_denom + weight.sum()
            else:
                denom = weight.new_tensor(1.)
                pooled_denom = pooled_denom + (fg_s > 1 - fg_s).sum()
            if 'c' in self.components:
                cls_loss = cls_loss + (
                    weight * self.class_kl(z_t.detach(), z_s)).sum() / denom
            if self.box_indices:
                sq = (d_s - d_t)[:, self.box_indices]**2
                box_loss = box_loss + (weight * sq.sum(dim=1)).sum() / denom
            weight_stat = weight_stat + weight.mean() / num_levels
        if self.reduction != 'mean':
            pooled_denom = pooled_denom.clamp_min(
                torch.finfo(pooled_denom.dtype).tiny if self.reduction ==
                'weighted_mean' else 1)
            cls_loss = cls_loss / pooled_denom
            box_loss = box_loss / pooled_denom
        return self.output(cls_loss, box_loss, weight_stat)


@MODELS.register_module()
class SoftmaxAdaptiveConsistencyLoss(AdaptiveConsistencyLoss):
    """SSMD's adaptive consistency cost for softmax heads (Eq. 4 literally).

    :class:`AdaptiveConsistencyLoss` with class logits over ``C + 1``
    classes, background last (mmdet's ``SSDHead`` and RoI ``BBoxHead``):
    ``W = ((1 - p_s[bg])^2 + (1 - p_t[bg])^2) / 2`` and the class term is
    the KL of the softmax distributions. Inputs, options and outputs as
    :class:`AdaptiveConsistencyLoss` (``'foreground'`` counts the anchors
    with ``1 - p_s[bg] > p_s[bg]``).
    """

    use_sigmoid = False

    @staticmethod
    def class_kl(target_logits: Tensor, input_logits: Tensor) -> Tensor:
        """KL of the softmax distributions per row, [N]."""
        return softmax_kl(target_logits, input_logits)

    @staticmethod
    def foreground(cls_logits: Tensor) -> Tensor:
        """Detached ``1 - p[bg]`` per row, [N] (:func:`softmax_foreground`)."""
        return softmax_foreground(cls_logits)

    foreground_mass = foreground
