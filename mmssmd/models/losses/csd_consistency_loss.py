from typing import Dict, Sequence

from mmdet.registry import MODELS
from torch import Tensor

from .consistency_utils import (BaseConsistencyLoss, bernoulli_kl,
                                float32_forward)


@MODELS.register_module()
class CSDConsistencyLoss(BaseConsistencyLoss):
    """CSD's consistency cost (Jeong et al., 2019), SSMD's Table 3 ablation.

    Background elimination on the student view: only anchors whose student
    foreground confidence (largest class probability) exceeds its
    background probability are kept. The class term is the symmetric KL
    ``(KL(p_t || p_s) + KL(p_s || p_t)) / 2`` (target side detached in each
    direction), the box term the mean over the used components of the
    squared delta differences; both are averaged over the kept anchors of
    a level (zero when none is kept) and summed over levels. See
    docs/methods.md#csdconsistencyloss.

    Args:
        components (Sequence[str]): Which terms to use among ``'c'`` (class
            KL) and ``'x', 'y', 'w', 'h'`` (box deltas). Defaults to all
            five.
        levels (Sequence[int], optional): Indices of the pyramid levels used,
            finest first. None uses every level. Defaults to None.
        loss_weight (float): Multiplier of both terms. Defaults to 1.0.
    """

    @float32_forward
    def forward(self, student_cls: Sequence[Tensor],
                teacher_cls: Sequence[Tensor], student_box: Sequence[Tensor],
                teacher_box: Sequence[Tensor]) -> Dict[str, Tensor]:
        """Compute the cost over the used levels.

        Args:
            student_cls (Sequence[Tensor]): Per level, student (or original
                view) class logits, [N_l, C].
            teacher_cls (Sequence[Tensor]): Per level, the other view's
                class logits at the same anchors, [N_l, C].
            student_box (Sequence[Tensor]): Per level, box deltas
                (dx, dy, dw, dh), [N_l, 4].
            teacher_box (Sequence[Tensor]): Per level, aligned box deltas of
                the other view, [N_l, 4].

        Returns:
            dict: ``loss_consistency_cls`` and ``loss_consistency_box``
            (each zero when its components are not used), and
            ``consistency_anchor_weight``, the share of kept anchors
            averaged over the used levels, for logging.
        """
        inputs, num_levels, zero = self.level_inputs(student_cls, teacher_cls,
                                                     student_box, teacher_box)
        cls_loss, box_loss, weight_stat = zero, zero, zero.detach()
        for z_s, z_t, d_s, d_t, fg_s in inputs:
            keep = fg_s > 1 - fg_s
            weight_stat = weight_stat + keep.float().mean() / num_levels
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
        return self.output(cls_loss, box_loss, weight_stat)
