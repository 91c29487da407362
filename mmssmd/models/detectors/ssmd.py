from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.detectors import SemiBaseDetector
from mmdet.models.utils import rename_loss_dict, unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.logging import MessageHub
from torch import Tensor

from ..utils import (align_flipped_outputs, batch_cutout,
                     ssmd_consistency_weight)


def flatten_levels(cls_scores: List[Tensor], bbox_preds: List[Tensor],
                   num_classes: int) -> Tuple[List[Tensor], List[Tensor]]:
    """[B, A*C, H, W] / [B, A*4, H, W] per level -> [B*H*W*A, C] / [.., 4]."""
    cls = [c.permute(0, 2, 3, 1).reshape(-1, num_classes) for c in cls_scores]
    box = [b.permute(0, 2, 3, 1).reshape(-1, 4) for b in bbox_preds]
    return cls, box


@MODELS.register_module()
class SSMD(SemiBaseDetector):
    """SSMD: a dense student detector and an EMA teacher (Algorithm 1).

    Each training step takes a batch of labeled images (branch ``'sup'``)
    and of unlabeled images (branch ``'unsup'``), both already through the
    pipeline's shared geometric augmentation (rotation, flip). With ``x`` the
    batched, normalised, padded images:

    * the student sees ``cutout(x)``; the teacher sees
      ``cutout'(flip(x))``, with holes drawn independently;
    * the student's supervised loss (its head's ``loss_by_feat``) uses the
      labeled images only;
    * the teacher's dense outputs are mirrored back onto the student's
      anchors (:func:`align_flipped_outputs`, exact, with the anchor-centre
      correction of ``dx``), and ``consistency_loss`` compares them with the
      student's at every anchor of the used levels, on labeled and
      unlabeled images;
    * total = supervised + lambda(iter) * consistency, lambda from Eq. 10
      (:func:`ssmd_consistency_weight`) over the run's ``max_iters``, read
      from the message hub. Outside a runner (no ``max_iters``) lambda is 1.

    The teacher gets no gradient (it runs under ``no_grad``) and is updated
    by :class:`EMATeacherHook`. It stays in eval mode even when the runner
    calls ``model.train()``: BN uses (EMA-updated) running statistics, and
    dropout or noise layers are off, so the teacher's only perturbations are
    the ones applied to its input.

    Args:
        detector (dict): A one-stage dense detector config (RetinaNet).
        consistency_loss (dict): The consistency cost, e.g.
            ``AdaptiveConsistencyLoss``.
        semi_train_cfg (dict): ``cutout_holes`` (5), ``cutout_size`` (70
            px), ``consistency_schedule`` (``'ssmd'`` for Eq. 10 or
            ``'constant'``), ``consistency_weight`` (1.0, the multiplier of
            lambda), ``sup_weight`` (1.0), ``freeze_teacher`` (True).
        semi_test_cfg (dict): ``predict_on``: ``'student'`` (the paper,
            default) or ``'teacher'``.
        data_preprocessor (dict): A ``MultiBranchDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 detector: ConfigType,
                 consistency_loss: ConfigType = dict(
                     type='AdaptiveConsistencyLoss'),
                 semi_train_cfg: OptConfigType = None,
                 semi_test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        semi_train_cfg = dict(semi_train_cfg or {})
        semi_test_cfg = dict(semi_test_cfg or {})
        semi_test_cfg.setdefault('predict_on', 'student')
        if semi_test_cfg['predict_on'] not in ('student', 'teacher'):
            raise ValueError("semi_test_cfg.predict_on must be 'student' or "
                             f"'teacher', got {semi_test_cfg['predict_on']}")
        schedule = semi_train_cfg.get('consistency_schedule', 'ssmd')
        if schedule not in ('ssmd', 'constant'):
            raise ValueError("consistency_schedule must be 'ssmd' or "
                             f"'constant', got {schedule!r}")
        super().__init__(
            detector=detector,
            semi_train_cfg=semi_train_cfg,
            semi_test_cfg=semi_test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.consistency_loss = MODELS.build(consistency_loss)
        self.cutout_holes = int(semi_train_cfg.get('cutout_holes', 5))
        self.cutout_size = int(semi_train_cfg.get('cutout_size', 70))
        self.consistency_schedule = schedule
        self.consistency_weight = float(
            semi_train_cfg.get('consistency_weight', 1.0))
        self.sup_weight = float(semi_train_cfg.get('sup_weight', 1.0))

    def train(self, mode: bool = True) -> 'SSMD':
        """Set the student's mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.train(False)
        return self

    def current_consistency_weight(self) -> float:
        """lambda at the current iteration (Eq. 10), times the multiplier."""
        if self.consistency_schedule == 'constant':
            return self.consistency_weight
        hub = MessageHub.get_current_instance()
        max_iters = hub.get_info('max_iters')
        if not max_iters:
            return self.consistency_weight
        return self.consistency_weight * ssmd_consistency_weight(
            hub.get_info('iter', 0), max_iters)

    def teacher_inputs(self, inputs: Tensor) -> Tensor:
        """The teacher's view: cutout of the horizontally mirrored batch.

        Args:
            inputs (Tensor): The padded batch, [B, C, H, W].

        Returns:
            Tensor: [B, C, H, W].
        """
        return batch_cutout(inputs.flip(-1), self.cutout_holes,
                            self.cutout_size)

    @torch.no_grad()
    def teacher_outputs(self, teacher_inputs: Tensor,
                        padded_width: int) -> Tuple[List[Tensor], List[Tensor]]:
        """Teacher head outputs aligned to the student's anchors.

        Args:
            teacher_inputs (Tensor): The teacher's view, [B, C, H, W].
            padded_width (int): Width of the batch.

        Returns:
            tuple[list[Tensor], list[Tensor]]: Per level class logits
            [B, A*C, H_l, W_l] and box deltas [B, A*4, H_l, W_l].
        """
        head = self.teacher.bbox_head
        cls, box = head(self.teacher.extract_feat(teacher_inputs))
        return align_flipped_outputs(cls, box, head.prior_generator,
                                     head.bbox_coder, padded_width)

    def loss(self, multi_batch_inputs: Dict[str, Tensor],
             multi_batch_data_samples: Dict[str, SampleList]) -> dict:
        """Supervised loss on ``'sup'`` + lambda * consistency on all images.

        Args:
            multi_batch_inputs (dict[str, Tensor]): ``'sup'`` (labeled) and
                optionally ``'unsup'`` (unlabeled) images, [B_i, C, H, W].
            multi_batch_data_samples (dict[str, list[DetDataSample]]): The
                matching data samples; ``'sup'`` carry ``gt_instances``.

        Returns:
            dict: ``sup_loss_cls``, ``sup_loss_bbox``,
            ``cons_loss_cls``, ``cons_loss_bbox`` and, for logging only,
            ``consistency_lambda`` and ``consistency_anchor_weight``.
        """
        sup_inputs = multi_batch_inputs['sup']
        sup_samples = multi_batch_data_samples['sup']
        batches = [sup_inputs]
        if multi_batch_inputs.get('unsup') is not None:
            batches.append(multi_batch_inputs['unsup'])
        inputs = self._concat_padded(batches)
        num_sup = sup_inputs.shape[0]
        head = self.student.bbox_head

        student_inputs = batch_cutout(inputs, self.cutout_holes,
                                      self.cutout_size)
        s_cls, s_box = head(self.student.extract_feat(student_inputs))
        t_cls, t_box = self.teacher_outputs(
            self.teacher_inputs(inputs), inputs.shape[-1])

        gt_instances, gt_ignore, img_metas = unpack_gt_instances(sup_samples)
        sup_losses = head.loss_by_feat([c[:num_sup] for c in s_cls],
                                       [b[:num_sup] for b in s_box],
                                       gt_instances, img_metas, gt_ignore)
        losses = rename_loss_dict(
            'sup_', {k: self._scale(v, self.sup_weight)
                     for k, v in sup_losses.items()})

        num_classes = head.cls_out_channels
        s_cls_flat, s_box_flat = flatten_levels(s_cls, s_box, num_classes)
        t_cls_flat, t_box_flat = flatten_levels(t_cls, t_box, num_classes)
        cons = self.consistency_loss(s_cls_flat, t_cls_flat, s_box_flat,
                                     t_box_flat)
        weight = self.current_consistency_weight()
        losses['cons_loss_cls'] = weight * cons['loss_consistency_cls']
        losses['cons_loss_bbox'] = weight * cons['loss_consistency_box']
        losses['consistency_lambda'] = inputs.new_tensor(weight)
        losses['consistency_anchor_weight'] = cons[
            'consistency_anchor_weight']
        return losses

    @staticmethod
    def _scale(value, weight: float):
        if isinstance(value, (list, tuple)):
            return [v * weight for v in value]
        return value * weight

    @staticmethod
    def _concat_padded(batches: List[Tensor]) -> Tensor:
        """Concatenate batches, padding right/bottom to a common size.

        Padding right/bottom keeps every image at the origin, like
        ``DetDataPreprocessor``, so image coordinates are unchanged.
        """
        h = max(b.shape[-2] for b in batches)
        w = max(b.shape[-1] for b in batches)
        return torch.cat([
            F.pad(b, (0, w - b.shape[-1], 0, h - b.shape[-2]))
            for b in batches
        ])
