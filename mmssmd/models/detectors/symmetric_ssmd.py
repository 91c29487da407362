from typing import Tuple

import torch
from mmdet.registry import MODELS
from torch import Tensor

from .ssmd import SSMD


@MODELS.register_module()
class SymmetricSSMD(SSMD):
    """SSMD whose student sees each image and its mirror, both paired.

    The student's batch is ``cat(x, flip(x))`` (cutout and noisy blocks as
    in :class:`SSMD`); the teacher sees the mirror of each,
    ``cat(flip(x), x)`` (cutout', IAP), so every student image is paired,
    anchor by anchor, with the teacher's view of its mirror, and both
    orientations of every image receive the consistency gradient in the
    same step, as both views do in CSD. The supervised loss uses the
    labeled images of the first half (the original view), as in CSD; their
    mirrors count as labeled for ``cutout_labeled``. Everything else
    (costs, lambda, teacher, IAP, checkpoints, inference) is
    :class:`SSMD`'s; the student costs twice the images per step.
    """

    def student_views(self, inputs: Tensor,
                      num_sup: int) -> Tuple[Tensor, Tensor]:
        """``cat(x, flip(x))`` and its mask of labeled images.

        Args:
            inputs (Tensor): Labeled then unlabeled images, [B, C, H, W].
            num_sup (int): Number of labeled images.

        Returns:
            tuple[Tensor, Tensor]: [2B, C, H, W] and the [2B] mask.
        """
        inputs, labeled = super().student_views(inputs, num_sup)
        return (torch.cat([inputs, inputs.flip(-1)]),
                torch.cat([labeled, labeled]))
