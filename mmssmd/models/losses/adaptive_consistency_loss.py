from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from torch import Tensor

BOX_COMPONENTS = ('x', 'y', 'w', 'h')


def bernoulli_kl(target_logits: Tensor, input_logits: Tensor) -> Tensor:
    """KL(target || input) of independent Bernoulli variables, from logits.

    Sigmoid heads (mmdet's RetinaNet) model each class as a Bernoulli
    variable; for one class this is exactly the KL of the paper's two-way
    (foreground/background) softmax.

    Args:
        target_logits (Tensor): Logits of the target distribution, [N, C].
        input_logits (Tensor): Logits of the input distribution, [N, C].

    Returns:
        Tensor: KL per anchor summed over classes, [N].
    """
    log_pt, log_1mpt = F.logsigmoid(target_logits), F.logsigmoid(-target_logits)
    log_pi, log_1mpi = F.logsigmoid(input_logits), F.logsigmoid(-input_logits)
    kl = log_pt.exp() * (log_pt - log_pi) + log_1mpt.exp() * (log_1mpt -
                                                              log_1mpi)
    return kl.sum(dim=1)


@MODELS.register_module()
class AdaptiveConsistencyLoss(nn.Module):
    """The adaptive consistency cost of SSMD (Eqs. 4-5), or CSD's cost.

    For every anchor of the used pyramid levels, with student class logits
    ``z_s``, teacher class logits ``z_t`` (aligned to the student's anchor)
    and box deltas ``d_s``, ``d_t``:

    * ``adaptive=True`` (SSMD): ``W * (KL(p_t || p_s) + sum_k (d_s,k -
      d_t,k)^2)`` with ``W = ((1 - p_s[bg])^2 + (1 - p_t[bg])^2) / 2``. With a
      sigmoid head, ``1 - p[bg]`` is the foreground confidence, taken as the
      largest class probability (for one class, ``sigmoid(z)``, the paper's
      two-way softmax exactly). ``W`` is a weight, not a target: it is
      detached, otherwise the student could lower the cost by lowering its
      own foreground confidence.
      Reduction (``reduction``): ``'mean'`` (the paper's literal "MSE")
      averages ``W * l`` over the anchors of each level and sums the used
      levels (each level weighs 1); the magnitude then scales with the share
      of foreground anchors (about 1e-3 of the supervised loss with
      RetinaNet's prior). ``'weighted_mean'`` (default) divides
      ``sum(W * l)`` over all used anchors of all used levels by
      ``sum(W)`` over the same anchors: a weighted average of ``l``, whose
      size does not depend on how many background anchors there are, and
      in which a level that holds only background contributes in
      proportion to its (small) weights. ``'foreground'`` divides the same
      sum by the number of anchors whose student foreground confidence
      beats the background (CSD's normaliser; at least 1). The choice is
      measured in ``docs/ssmd_gain.md``.
    * ``adaptive=False`` (CSD, Table 3 "without the adaptive cost"): anchors
      where the student's foreground confidence exceeds its background
      probability (CSD's background elimination, on the student view) are
      kept; the class term is the symmetric KL ``(KL(p_t||p_s) +
      KL(p_s||p_t)) / 2`` and the box term the mean over the used
      components of the squared differences, both averaged over the kept
      anchors (zero when none is kept), summed over levels.

    Gradients: the KL target side is detached in each direction, and so is
    ``W``. The teacher's deltas are not detached here: in SSMD the teacher
    runs without gradient anyway, and in CSD both views come from one
    network and both get the gradient of the squared difference, as in
    CSD's code.

    Args:
        adaptive (bool): SSMD's adaptive cost (True) or CSD's (False).
            Defaults to True.
        components (Sequence[str]): Which terms to use among ``'c'`` (class
            KL) and ``'x', 'y', 'w', 'h'`` (box deltas) (Table 7).
            Defaults to all five.
        levels (Sequence[int], optional): Indices of the pyramid levels used,
            finest first (Table 9: ``(0,)``, ``(0, 1, 2)`` or all). None uses
            every level. Defaults to None.
        loss_weight (float): Multiplier of both terms. Defaults to 1.0.
        reduction (str): The adaptive cost's normaliser:
            ``'weighted_mean'``, ``'mean'`` or ``'foreground'`` (see above;
            like the ``reduction`` of mmdet's losses). CSD's cost always
            averages over its kept anchors. Defaults to ``'weighted_mean'``.
    """

    REDUCTIONS = ('weighted_mean', 'mean', 'foreground')

    def __init__(self,
                 adaptive: bool = True,
                 components: Sequence[str] = ('c', 'x', 'y', 'w', 'h'),
                 levels: Optional[Sequence[int]] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'weighted_mean') -> None:
        super().__init__()
        if reduction not in self.REDUCTIONS:
            raise ValueError(f'reduction must be one of {self.REDUCTIONS}, '
                             f'got {reduction!r}')
        self.reduction = reduction
        unknown = set(components) - {'c', *BOX_COMPONENTS}
        if unknown or not components:
            raise ValueError(f'components must be a non-empty subset of '
                             f'c, x, y, w, h; got {components}')
        self.adaptive = adaptive
        self.components = tuple(components)
        self.box_indices = [
            i for i, k in enumerate(BOX_COMPONENTS) if k in components
        ]
        self.levels = None if levels is None else tuple(levels)
        self.loss_weight = loss_weight

    def forward(self, student_cls: Sequence[Tensor],
                teacher_cls: Sequence[Tensor],
                student_box: Sequence[Tensor],
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
            ``consistency_anchor_weight``: the mean weight ``W`` (adaptive)
            or the share of kept anchors (CSD), for logging.
        """
        num_levels = len(student_cls)
        levels = range(num_levels) if self.levels is None else self.levels
        if max(levels) >= num_levels:
            raise ValueError(f'levels {self.levels} but the head has '
                             f'{num_levels} levels')
        zero = student_cls[0].sum() * 0
        cls_loss, box_loss, weight_stat = zero, zero, zero.detach()
        # pooled reductions: numerators summed over levels, one denominator
        pooled_denom = zero.detach()
        for lvl in levels:
            z_s, z_t = student_cls[lvl], teacher_cls[lvl]
            d_s, d_t = student_box[lvl], teacher_box[lvl]
            if z_s.numel() == 0:
                continue
            fg_s = z_s.detach().sigmoid().max(dim=1).values
            if self.adaptive:
                fg_t = z_t.detach().sigmoid().max(dim=1).values
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
                        weight * bernoulli_kl(z_t.detach(), z_s)).sum() / denom
                if self.box_indices:
                    sq = (d_s - d_t)[:, self.box_indices]**2
                    box_loss = box_loss + (weight * sq.sum(dim=1)).sum() / denom
                weight_stat = weight_stat + weight.mean() / len(levels)
            else:
                keep = fg_s > 1 - fg_s
                weight_stat = weight_stat + keep.float().mean() / len(levels)
                if not keep.any():
                    continue
                if 'c' in self.components:
                    # stop-gradient on the target side of each direction
                    sym_kl = (bernoulli_kl(z_t[keep].detach(), z_s[keep]) +
                              bernoulli_kl(z_s[keep].detach(), z_t[keep]))
                    cls_loss = cls_loss + sym_kl.mean() / 2
                if self.box_indices:
                    sq = (d_s[keep] - d_t[keep])[:, self.box_indices]**2
                    box_loss = box_loss + sq.mean()
        if self.adaptive and self.reduction == 'weighted_mean':
            pooled_denom = pooled_denom.clamp_min(torch.finfo(
                pooled_denom.dtype).tiny)
            cls_loss, box_loss = cls_loss / pooled_denom, box_loss / pooled_denom
        elif self.adaptive and self.reduction == 'foreground':
            pooled_denom = pooled_denom.clamp_min(1)
            cls_loss, box_loss = cls_loss / pooled_denom, box_loss / pooled_denom
        return dict(
            loss_consistency_cls=self.loss_weight * cls_loss,
            loss_consistency_box=self.loss_weight * box_loss,
            consistency_anchor_weight=weight_stat)
