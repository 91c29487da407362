import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.utils import rename_loss_dict, reweight_loss_dict
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptMultiConfig
from torch import Tensor

from ..utils import (align_flipped_outputs, align_flipped_roi_deltas,
                     class_deltas, consistency_ratio, consistency_weight,
                     flatten_levels, flip_column_pairing,
                     instance_adversarial_perturbation, mirror_rois,
                     stack_branches, supervised_losses)
from .ssmd import SSMD, check_class_distribution


@MODELS.register_module()
class TwoStageSSMD(SSMD):
    """SSMD around a two-stage detector (Faster R-CNN, Mask R-CNN).

    As :class:`SSMD` (views, EMA teacher, lambda, perturbations, IAP,
    non-finite guard, student-only prefixes), with consistency at both
    stages. RPN: its objectness and deltas at mirrored anchors
    (:func:`align_flipped_outputs`), compared by ``consistency_loss``. RoI
    head: the top ``roi_proposals`` student proposals per image (student
    RPN on the student's view, ``train_cfg.rpn_proposal``, detached) are
    mirrored into the teacher's view (:func:`mirror_rois`), and the
    teacher's class logits and deltas there (``dx`` negated,
    :func:`align_flipped_roi_deltas`) are compared per proposal with the
    student's by ``roi_consistency_loss``, class-specific deltas for the
    teacher's most likely foreground class. Supervised: mmdet's RPN (class
    0) and RoI (and mask) losses on the labeled images, from the one
    student forward of the whole batch. As in CSD's two-stage (R-FCN)
    code: the RPN's proposals of one view, mirrored, read the other view;
    class KL and location (``dx`` negated) consistency per proposal at the
    RoI head. Our reading (SSMD's Table 10 reports Faster / Mask R-CNN
    without saying how): the RPN term (CSD's R-FCN has none), the EMA
    teacher instead of CSD's shared network, SSMD's adaptive weight
    instead of background elimination, continuous coordinates (``W -
    x2``; CSD's code ``W - x2 - 1``, inclusive pixels), the deltas of the
    teacher's class (CSD: every class), the proposal count and IAP probing
    the RoI head. See docs/methods.md#twostagessmd.

    Args:
        detector (dict): A ``FasterRCNN`` or ``MaskRCNN`` config with a
            ``StandardRoIHead`` (backbone possibly a ``NoisyResNet``).
        consistency_loss (dict): The RPN's consistency cost, a sigmoid
            one. Defaults to ``dict(type='AdaptiveConsistencyLoss')``.
        roi_consistency_loss (dict): The RoI head's consistency cost, a
            softmax one. Defaults to
            ``dict(type='SoftmaxAdaptiveConsistencyLoss')``. A loss that
            does not match its head's classification raises a
            ``ValueError``.
        semi_train_cfg (dict): :class:`SSMD`'s keys and ``roi_proposals``
            (256), the student proposals per image used for the RoI
            consistency.
        semi_test_cfg (dict): ``predict_on``: ``'student'`` (default) or
            ``'teacher'``.
        data_preprocessor (dict): A ``MultiBranchDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 detector: ConfigType,
                 consistency_loss: ConfigType = dict(
                     type='AdaptiveConsistencyLoss'),
                 roi_consistency_loss: ConfigType = dict(
                     type='SoftmaxAdaptiveConsistencyLoss'),
                 semi_train_cfg: OptConfigType = None,
                 semi_test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(detector,
                         consistency_loss=consistency_loss,
                         semi_train_cfg=semi_train_cfg,
                         semi_test_cfg=semi_test_cfg,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.roi_consistency_loss = MODELS.build(roi_consistency_loss)
        check_class_distribution(self.roi_consistency_loss,
                                 self.student.roi_head.bbox_head,
                                 'roi_head.bbox_head')
        self.roi_proposals = int(
            self.semi_train_cfg.get('roi_proposals', 256))
        if self.roi_proposals < 1:
            raise ValueError('semi_train_cfg.roi_proposals must be >= 1, got '
                             f'{self.roi_proposals}')

    def check_heads(self) -> None:
        """Raise a ``ValueError`` unless the student is a two-stage detector
        with an RPN and a ``StandardRoIHead`` and ``consistency_loss``
        reads the RPN's (sigmoid) objectness. The RoI head's loss is
        checked when it is built."""
        student = self.student
        if not (getattr(student, 'with_rpn', False) and isinstance(
                getattr(student, 'roi_head', None), StandardRoIHead)):
            raise ValueError(
                'TwoStageSSMD needs a two-stage detector with an RPN and a '
                'StandardRoIHead (FasterRCNN, MaskRCNN), got '
                f'{type(student).__name__}')
        check_class_distribution(self.consistency_loss, student.rpn_head,
                                 'rpn_head')

    def teacher_dense_outputs(
            self, teacher_inputs: Tensor, padded_width: int
    ) -> Tuple[List[Tensor], List[Tensor], List[Tensor]]:
        """The teacher RPN's outputs aligned to the student's anchors
        (:meth:`SSMD.teacher_dense_outputs` with the RPN as the dense
        head)."""
        rpn, _ = self.teacher_two_stage_outputs(teacher_inputs, None)
        return rpn

    def teacher_two_stage_outputs(self,
                                  teacher_inputs: Tensor,
                                  rois: Optional[Tensor],
                                  with_rpn: bool = True) -> tuple:
        """The teacher's outputs paired with the student's, one backbone
        forward.

        Differentiable with respect to ``teacher_inputs`` (IAP needs it);
        the caller decides about gradients.

        Args:
            teacher_inputs (Tensor): The teacher's view, [B, C, H, W].
            rois (Tensor, optional): The student's RoIs, [N, 5], in the
                student's view; None: no RoI outputs.
            with_rpn (bool): Whether to run the RPN head. Defaults to True.

        Returns:
            tuple: RPN (None unless ``with_rpn``): per level objectness
            logits [B, A, H_l, W_l], deltas [B, A*4, H_l, W_l] and the
            [W_l] mask of student columns with a mirror partner
            (:func:`align_flipped_outputs`); RoI (None without ``rois``):
            class logits [N, C+1] and deltas [N, 4] or [N, 4*C] at the
            mirrored RoIs, ``dx`` negated (:func:`align_flipped_roi_deltas`).
        """
        padded_width = teacher_inputs.shape[-1]
        teacher = self.teacher
        rpn = roi = None
        with self._teacher_norm():
            feats = teacher.extract_feat(teacher_inputs)
            if with_rpn:
                rpn_cls, rpn_box = teacher.rpn_head(feats)
            if rois is not None:
                out = teacher.roi_head._bbox_forward(
                    feats, mirror_rois(rois, padded_width))
        if with_rpn:
            head = teacher.rpn_head
            rpn = align_flipped_outputs(rpn_cls, rpn_box,
                                        head.prior_generator, head.bbox_coder,
                                        padded_width)
        if rois is not None:
            roi = (out['cls_score'],
                   align_flipped_roi_deltas(
                       out['bbox_pred'],
                       teacher.roi_head.bbox_head.bbox_coder))
        return rpn, roi

    def roi_consistency(self, student_cls: Tensor, teacher_cls: Tensor,
                        student_box: Tensor,
                        teacher_box: Tensor) -> Dict[str, Tensor]:
        """``roi_consistency_loss`` over paired RoIs (one "level").

        Class-specific deltas are compared for the teacher's most likely
        foreground class of each RoI (:func:`class_deltas`).

        Args:
            student_cls (Tensor): Student class logits, [N, C+1].
            teacher_cls (Tensor): Teacher class logits, [N, C+1].
            student_box (Tensor): Student deltas, [N, 4] or [N, 4*C].
            teacher_box (Tensor): Aligned teacher deltas, same shape.

        Returns:
            dict: The loss's output.
        """
        labels = teacher_cls.detach()[:, :-1].argmax(dim=1)
        return self.roi_consistency_loss([student_cls], [teacher_cls],
                                         [class_deltas(student_box, labels)],
                                         [class_deltas(teacher_box, labels)])

    def adversarial_perturbation(self, teacher_inputs: Tensor,
                                 student_cls: Tensor, student_box: Tensor,
                                 rois: Tensor) -> Tensor:
        """``r_adv`` for the teacher input (Eqs. 8-9), per image, from the
        RoI head.

        The probe's consistency is :meth:`roi_consistency` (class plus box
        terms) on the student's RoIs whose foreground probability ``1 -
        p[bg]`` exceeds ``tau``; the teacher stays in eval mode and only
        the probe receives a gradient. The RPN is not part of the probe.

        Args:
            teacher_inputs (Tensor): The teacher's view, [B, C, H, W].
            student_cls (Tensor): The student's RoI class logits, [N, C+1].
            student_box (Tensor): The student's RoI deltas, [N, 4] or
                [N, 4*C].
            rois (Tensor): The student's RoIs, [N, 5] (image index first).

        Returns:
            Tensor: ``r_adv``, [B, C, H, W].
        """

        def forward(x: Tensor) -> Tuple[List[Tensor], List[Tensor]]:
            _, (cls, box) = self.teacher_two_stage_outputs(x, rois,
                                                           with_rpn=False)
            return [cls], [box]

        def consistency(s_cls: Sequence[Tensor], t_cls: Sequence[Tensor],
                        s_box: Sequence[Tensor],
                        t_box: Sequence[Tensor]) -> Tensor:
            cons = self.roi_consistency(s_cls[0], t_cls[0], s_box[0],
                                        t_box[0])
            return cons['loss_consistency_cls'] + cons['loss_consistency_box']

        r_adv, stats = instance_adversarial_perturbation(
            forward,
            teacher_inputs,
            [student_cls],
            [student_box],
            consistency,
            foreground_fn=self.roi_consistency_loss.foreground_mass,
            image_index=[rois[:, 0].long()],
            **self.adversarial_cfg)
        self.adversarial_stats = {k: float(v) for k, v in stats.items()}
        return r_adv

    def supervised_two_stage_losses(self, feats: Tuple[Tensor],
                                    rpn_cls: List[Tensor],
                                    rpn_box: List[Tensor],
                                    proposals: InstanceList,
                                    sup_samples: SampleList) -> dict:
        """mmdet's two-stage losses on the labeled images, prefixed ``sup_``.

        As ``TwoStageDetector.loss``: the RPN learns objectness (the ground
        truth's classes set to 0 on a deep copy of the samples), the RoI
        head (and mask head) learn from the RPN's proposals.

        Args:
            feats (tuple[Tensor]): The student's features of the whole
                batch, labeled images first.
            rpn_cls (list[Tensor]): The student RPN's objectness, per level.
            rpn_box (list[Tensor]): The student RPN's deltas, per level.
            proposals (list[InstanceData]): The labeled images' proposals
                (consumed: ``roi_head.loss`` renames their ``bboxes``).
            sup_samples (list[DetDataSample]): The labeled images' samples.

        Returns:
            dict: ``sup_loss_rpn_cls``, ``sup_loss_rpn_bbox``,
            ``sup_loss_cls``, ``sup_loss_bbox``, ``sup_acc`` (and
            ``sup_loss_mask``), times ``sup_weight``.
        """
        rpn_samples = copy.deepcopy(sup_samples)
        for sample in rpn_samples:
            sample.gt_instances.labels = torch.zeros_like(
                sample.gt_instances.labels)
        losses = supervised_losses(self.student.rpn_head, rpn_cls, rpn_box,
                                   rpn_samples, self.sup_weight)
        num_sup = len(sup_samples)
        roi_losses = self.student.roi_head.loss([f[:num_sup] for f in feats],
                                                proposals, sup_samples)
        losses.update(
            rename_loss_dict('sup_',
                             reweight_loss_dict(roi_losses, self.sup_weight)))
        return losses

    def loss(self, multi_batch_inputs: Dict[str, Tensor],
             multi_batch_data_samples: Dict[str, SampleList]) -> dict:
        """Supervised loss on ``'sup'`` + lambda * consistency on all images.

        Args:
            multi_batch_inputs (dict[str, Tensor]): ``'sup'`` (labeled) and
                optionally ``'unsup'`` (unlabeled) images, [B_i, C, H, W].
            multi_batch_data_samples (dict[str, list[DetDataSample]]): The
                matching data samples; ``'sup'`` carry ``gt_instances``
                (with ``masks`` for Mask R-CNN).

        Returns:
            dict: The supervised losses
            (:meth:`supervised_two_stage_losses`),
            ``cons_rpn_loss_cls``, ``cons_rpn_loss_bbox``,
            ``cons_roi_loss_cls``, ``cons_roi_loss_bbox`` and, for logging
            only, ``consistency_lambda``, ``consistency_anchor_weight``
            (RPN), ``consistency_roi_weight`` (RoI head) and
            ``consistency_to_sup_ratio``.
        """
        inputs, num_sup = stack_branches(multi_batch_inputs)
        sup_samples = multi_batch_data_samples['sup']
        samples = list(sup_samples) + list(
            multi_batch_data_samples.get('unsup') or [])
        padded_width = inputs.shape[-1]
        student = self.student
        rpn_head = student.rpn_head

        # one student forward of the whole batch
        feats = student.extract_feat(self.student_inputs(inputs, num_sup))
        rpn_cls, rpn_box = rpn_head(feats)
        proposals = rpn_head.predict_by_feat(
            rpn_cls,
            rpn_box,
            batch_img_metas=[s.metainfo for s in samples],
            cfg=student.train_cfg.get('rpn_proposal', student.test_cfg.rpn))
        # sorted by score: the top ones of each image (detached)
        rois = bbox2roi(
            [p.bboxes[:self.roi_proposals].detach() for p in proposals])
        s_roi = student.roi_head._bbox_forward(feats, rois)
        s_roi_cls, s_roi_box = s_roi['cls_score'], s_roi['bbox_pred']
        valid = [
            v for _, v in flip_column_pairing(
                rpn_head.prior_generator, [c.shape[-1] for c in rpn_cls],
                padded_width, inputs.device)
        ]
        s_rpn_cls, s_rpn_box = flatten_levels(rpn_cls, rpn_box,
                                              rpn_head.cls_out_channels,
                                              valid)

        teacher_inputs = self.teacher_inputs(inputs)
        iap_failed = False
        if self.adversarial_cfg is not None:
            teacher_inputs = teacher_inputs + self.adversarial_perturbation(
                teacher_inputs, s_roi_cls, s_roi_box, rois)
            iap_failed = self.adversarial_stats['nonfinite_images'] > 0
        else:
            self.adversarial_stats = {}
        with torch.no_grad():
            (t_rpn_cls, t_rpn_box, _), (t_roi_cls, t_roi_box) = \
                self.teacher_two_stage_outputs(teacher_inputs, rois)

        losses = self.supervised_two_stage_losses(feats, rpn_cls, rpn_box,
                                        proposals[:num_sup], sup_samples)

        t_rpn_cls, t_rpn_box = flatten_levels(t_rpn_cls, t_rpn_box,
                                              rpn_head.cls_out_channels,
                                              valid)
        cons_rpn = self.consistency_loss(s_rpn_cls, t_rpn_cls, s_rpn_box,
                                         t_rpn_box)
        cons_roi = self.roi_consistency(s_roi_cls, t_roi_cls, s_roi_box,
                                        t_roi_box)
        terms = self._guard_nonfinite(
            {
                'RPN class': cons_rpn['loss_consistency_cls'],
                'RPN box': cons_rpn['loss_consistency_box'],
                'RoI class': cons_roi['loss_consistency_cls'],
                'RoI box': cons_roi['loss_consistency_box']
            }, iap_failed)
        weight = consistency_weight(self.consistency_schedule,
                                    self.consistency_weight)
        losses['cons_rpn_loss_cls'] = weight * terms['RPN class']
        losses['cons_rpn_loss_bbox'] = weight * terms['RPN box']
        losses['cons_roi_loss_cls'] = weight * terms['RoI class']
        losses['cons_roi_loss_bbox'] = weight * terms['RoI box']
        losses['consistency_lambda'] = inputs.new_tensor(weight)
        losses['consistency_anchor_weight'] = cons_rpn[
            'consistency_anchor_weight']
        losses['consistency_roi_weight'] = cons_roi[
            'consistency_anchor_weight']
        losses['consistency_to_sup_ratio'] = consistency_ratio(
            losses, 'cons_', 'sup_')
        return losses
