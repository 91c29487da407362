from typing import Dict, Union

import torch
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType
from torch import Tensor

from ..utils import (add_consistency_losses, align_flipped_outputs,
                     check_consistency_schedule, consistency_weight,
                     flatten_levels, stack_branches, supervised_losses)
from .semi_single_stage import SemiSingleStageDetector


@MODELS.register_module()
class CSD(SemiSingleStageDetector):
    """CSD (Jeong et al., NeurIPS 2019) around a dense one-stage detector.

    One network, two views: the padded batch ``x`` and its mirror
    ``flip(x)`` go through the same weights in one pass; the mirror's head
    outputs are mapped onto the original anchors
    (:func:`align_flipped_outputs`) and ``consistency_loss`` compares the
    views at every anchor with a mirror partner, the original view as its
    "student". Total = ``sup_weight`` * supervised (head's
    ``loss_by_feat`` on the original view of the labeled images) + w(t) *
    consistency, w(t) from :func:`consistency_weight`. The checkpoint keys
    and ``predict`` are those of the plain detector. See docs/methods.md#csd.

    Args:
        consistency_loss (dict): The consistency cost. Defaults to CSD's,
            ``dict(type='CSDConsistencyLoss')``.
        **kwargs: ``backbone``, ``neck``, ``bbox_head`` (e.g.
            ``RetinaHead``), ``train_cfg``, ``test_cfg``, ``init_cfg`` as
            :class:`SemiSingleStageDetector`; ``semi_train_cfg``:
            ``consistency_schedule`` (``'gaussian_ramp'``, default, or
            ``'constant'``), ``consistency_weight`` (1.0, multiplier of the
            schedule), ``sup_weight`` (1.0), other keys are an error;
            ``data_preprocessor``: a ``MultiBranchDataPreprocessor``
            (branches ``'sup'`` and optionally ``'unsup'``) or a
            ``DetDataPreprocessor`` (all labeled).
    """

    SEMI_TRAIN_KEYS = ('consistency_schedule', 'consistency_weight',
                       'sup_weight')

    def __init__(self,
                 consistency_loss: ConfigType = dict(
                     type='CSDConsistencyLoss'),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        semi_train_cfg = self.semi_train_cfg
        self.consistency_loss = MODELS.build(consistency_loss)
        self.consistency_schedule = check_consistency_schedule(
            semi_train_cfg.get('consistency_schedule', 'gaussian_ramp'))
        self.consistency_weight = float(
            semi_train_cfg.get('consistency_weight', 1.0))
        self.sup_weight = float(semi_train_cfg.get('sup_weight', 1.0))

    def two_view_outputs(self, inputs: Tensor):
        """Head outputs of ``x`` and of ``flip(x)``, aligned to ``x``.

        Args:
            inputs (Tensor): The padded batch ``x``, [B, C, H, W].

        Returns:
            tuple: ``(cls_o, box_o, cls_f, box_f, valid)``, per level class
            logits [B, A*C, H_l, W_l] and box deltas [B, A*4, H_l, W_l] of
            the original view and of the mirrored view mapped onto the
            original anchors (all keep their gradient), and the [W_l] mask
            of columns with a mirror partner.
        """
        num = inputs.shape[0]
        head = self.bbox_head
        cls, box = head(self.extract_feat(torch.cat([inputs,
                                                     inputs.flip(-1)])))
        cls_o, box_o = [c[:num] for c in cls], [b[:num] for b in box]
        cls_f, box_f, valid = align_flipped_outputs([c[num:] for c in cls],
                                                    [b[num:] for b in box],
                                                    head.prior_generator,
                                                    head.bbox_coder,
                                                    inputs.shape[-1])
        return cls_o, box_o, cls_f, box_f, valid

    def loss(self, multi_batch_inputs: Union[Dict[str, Tensor], Tensor],
             multi_batch_data_samples: Union[Dict[str, SampleList],
                                             SampleList]) -> dict:
        """Supervised loss on ``'sup'`` + w(t) * CSD consistency on all.

        Args:
            multi_batch_inputs (dict[str, Tensor] | Tensor): ``'sup'``
                (labeled) and optionally ``'unsup'`` (unlabeled) images,
                [B_i, C, H, W]; a tensor is taken as all labeled.
            multi_batch_data_samples (dict[str, list[DetDataSample]] |
                list[DetDataSample]): The matching data samples; ``'sup'``
                carry ``gt_instances``.

        Returns:
            dict: ``sup_loss_cls``, ``sup_loss_bbox``, ``cons_loss_cls``,
            ``cons_loss_bbox`` and, for logging only (no ``loss`` in the
            name, so not summed), ``consistency_lambda``,
            ``consistency_anchor_weight`` (the share of anchors kept by
            the background elimination) and ``consistency_to_sup_ratio``.
        """
        if isinstance(multi_batch_inputs, Tensor):
            multi_batch_inputs = {'sup': multi_batch_inputs}
            multi_batch_data_samples = {'sup': multi_batch_data_samples}
        inputs, _ = stack_branches(multi_batch_inputs)
        cls_o, box_o, cls_f, box_f, valid = self.two_view_outputs(inputs)
        losses = supervised_losses(self.bbox_head, cls_o, box_o,
                                   multi_batch_data_samples['sup'],
                                   self.sup_weight)

        num_classes = self.bbox_head.cls_out_channels
        o_cls, o_box = flatten_levels(cls_o, box_o, num_classes, valid)
        f_cls, f_box = flatten_levels(cls_f, box_f, num_classes, valid)
        # the original view is the loss's "student": its confidences make
        # the background-elimination mask, as in CSD
        cons = self.consistency_loss(o_cls, f_cls, o_box, f_box)
        weight = consistency_weight(self.consistency_schedule,
                                    self.consistency_weight)
        return add_consistency_losses(losses, cons['loss_consistency_cls'],
                                      cons['loss_consistency_box'], weight,
                                      cons['consistency_anchor_weight'])
