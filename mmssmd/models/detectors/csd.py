from typing import Dict, List, Sequence, Union

import torch
import torch.nn.functional as F
from mmdet.models.detectors import SingleStageDetector
from mmdet.models.utils import (rename_loss_dict, reweight_loss_dict,
                                unpack_gt_instances)
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.logging import MessageHub
from torch import Tensor

from ..utils import (align_flipped_outputs, consistency_ratio, flatten_levels,
                     ssmd_consistency_weight)

_SEMI_TRAIN_KEYS = ('consistency_schedule', 'consistency_weight',
                    'sup_weight')


def concat_padded(batches: Sequence[Tensor]) -> Tensor:
    """Concatenate image batches, padding right/bottom to a common size.

    Args:
        batches (Sequence[Tensor]): Batches [B_i, C, H_i, W_i].

    Returns:
        Tensor: [sum B_i, C, max H_i, max W_i]. Right/bottom padding keeps
        every image at the origin (as ``DetDataPreprocessor`` does), so
        image coordinates are unchanged.
    """
    h = max(b.shape[-2] for b in batches)
    w = max(b.shape[-1] for b in batches)
    return torch.cat([
        F.pad(b, (0, w - b.shape[-1], 0, h - b.shape[-2])) for b in batches
    ])


@MODELS.register_module()
class CSD(SingleStageDetector):
    """CSD (Jeong et al., NeurIPS 2019) around a dense one-stage detector.

    One network, two views, no teacher: the padded batch ``x`` (labeled and
    unlabeled images) and its horizontal mirror ``flip(x)`` go through the
    same weights in one forward pass on ``cat(x, flip(x))``. The mirror's
    head outputs are mapped back onto the original anchors by
    :func:`align_flipped_outputs` (each anchor paired with the anchor at its
    physical mirror position, ``dx`` negated; differentiable), and
    ``consistency_loss`` compares the two views at every anchor that has a
    mirror partner. With CSD's cost
    (``AdaptiveConsistencyLoss(adaptive=False)``):

    * background elimination: anchors whose largest class probability of
      the *original* view exceeds its background probability (the loss's
      "student" argument is the original view);
    * class term: ``(KL(sg(p_f) || p_o) + KL(sg(p_o) || p_f)) / 2``, the
      symmetric KL with a stop-gradient on the target side of each
      direction, so *both* views get a gradient (unlike SSMD, whose teacher
      runs without gradient);
    * location term: the mean over kept anchors of ``(dx_o + dx_f)^2,
      (dy_o - dy_f)^2, (dw_o - dw_f)^2, (dh_o - dh_f)^2`` (``dx`` of the
      mirror negated by the alignment), with gradient to both views.

    Total = ``sup_weight`` * supervised (the head's ``loss_by_feat`` on the
    original view of the labeled images only, as in CSD's code) + w(t) *
    (class + location), where ``class`` already holds CSD's ``/ 2``. w(t) is
    the Gaussian ramp-up / ramp-down of :func:`ssmd_consistency_weight`
    (the shape of CSD's ramp, with the paper's N/4 and 3N/4 break points
    rather than CSD-SSD's fixed iteration counts) over the run's
    ``max_iters`` from the message hub; 1 outside a runner.

    Why a :class:`SingleStageDetector` subclass rather than an SSMD variant:
    CSD has a single network, so there is no teacher to build, freeze or
    EMA-update, and its checkpoint keys are those of the plain detector
    (``backbone.``, ``neck.``, ``bbox_head.``): a trained CSD checkpoint
    loads into the plain RetinaNet config, and ``predict`` / validation /
    ``tools/test.py`` are the detector's own. Configs state a RetinaNet and
    change its ``type`` to ``CSD``.

    Training inputs come from a ``MultiBranchDataPreprocessor`` (branches
    ``'sup'`` and optionally ``'unsup'``, as in the SSMD data configs); a
    plain ``DetDataPreprocessor`` batch is treated as all labeled. In test
    mode the preprocessor falls back to the plain one.

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): Neck config.
        bbox_head (dict): Dense head config (e.g. ``RetinaHead``).
        consistency_loss (dict): The consistency cost. Defaults to CSD's,
            ``AdaptiveConsistencyLoss(adaptive=False)``.
        semi_train_cfg (dict, optional): ``consistency_schedule``
            (``'ssmd'``: the ramp; ``'constant'``), ``consistency_weight``
            (1.0, multiplier of the ramp), ``sup_weight`` (1.0). Other keys
            are an error.
        train_cfg (dict, optional): The head's train config.
        test_cfg (dict, optional): The head's test config.
        data_preprocessor (dict, optional): A
            ``MultiBranchDataPreprocessor`` (or ``DetDataPreprocessor``).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: OptConfigType = None,
                 bbox_head: OptConfigType = None,
                 consistency_loss: ConfigType = dict(
                     type='AdaptiveConsistencyLoss', adaptive=False),
                 semi_train_cfg: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            bbox_head=bbox_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        semi_train_cfg = dict(semi_train_cfg or {})
        unknown = set(semi_train_cfg) - set(_SEMI_TRAIN_KEYS)
        if unknown:
            raise ValueError(f'CSD: unknown semi_train_cfg keys '
                             f'{sorted(unknown)}; expected a subset of '
                             f'{_SEMI_TRAIN_KEYS}')
        schedule = semi_train_cfg.get('consistency_schedule', 'ssmd')
        if schedule not in ('ssmd', 'constant'):
            raise ValueError("consistency_schedule must be 'ssmd' or "
                             f"'constant', got {schedule!r}")
        self.consistency_loss = MODELS.build(consistency_loss)
        self.consistency_schedule = schedule
        self.consistency_weight = float(
            semi_train_cfg.get('consistency_weight', 1.0))
        self.sup_weight = float(semi_train_cfg.get('sup_weight', 1.0))

    def current_consistency_weight(self) -> float:
        """w(t) at the current iteration, times ``consistency_weight``."""
        if self.consistency_schedule == 'constant':
            return self.consistency_weight
        hub = MessageHub.get_current_instance()
        max_iters = hub.get_info('max_iters')
        if not max_iters:
            return self.consistency_weight
        return self.consistency_weight * ssmd_consistency_weight(
            hub.get_info('iter', 0), max_iters)

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
        sup_inputs = multi_batch_inputs['sup']
        sup_samples = multi_batch_data_samples['sup']
        batches: List[Tensor] = [sup_inputs]
        if multi_batch_inputs.get('unsup') is not None:
            batches.append(multi_batch_inputs['unsup'])
        inputs = concat_padded(batches)
        num_sup = sup_inputs.shape[0]
        head = self.bbox_head

        cls_o, box_o, cls_f, box_f, valid = self.two_view_outputs(inputs)

        gt_instances, gt_ignore, img_metas = unpack_gt_instances(sup_samples)
        sup_losses = head.loss_by_feat([c[:num_sup] for c in cls_o],
                                       [b[:num_sup] for b in box_o],
                                       gt_instances, img_metas, gt_ignore)
        losses = rename_loss_dict('sup_',
                                  reweight_loss_dict(sup_losses,
                                                     self.sup_weight))

        num_classes = head.cls_out_channels
        o_cls, o_box = flatten_levels(cls_o, box_o, num_classes, valid)
        f_cls, f_box = flatten_levels(cls_f, box_f, num_classes, valid)
        # the original view is the loss's "student": its confidences make
        # the background-elimination mask, as in CSD
        cons = self.consistency_loss(o_cls, f_cls, o_box, f_box)
        weight = self.current_consistency_weight()
        losses['cons_loss_cls'] = weight * cons['loss_consistency_cls']
        losses['cons_loss_bbox'] = weight * cons['loss_consistency_box']
        losses['consistency_lambda'] = inputs.new_tensor(weight)
        losses['consistency_anchor_weight'] = cons[
            'consistency_anchor_weight']
        losses['consistency_to_sup_ratio'] = consistency_ratio(
            losses, 'cons_loss_', 'sup_loss_')
        return losses
