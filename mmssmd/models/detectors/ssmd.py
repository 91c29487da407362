import copy
import logging
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple

import torch
import torch.nn as nn
from mmdet.models.detectors import BaseDetector, SemiBaseDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.logging import MessageHub, print_log
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from ..backbones import NoisyResNet
from ..utils import (add_consistency_losses, align_flipped_outputs,
                     batch_cutout, check_consistency_schedule,
                     consistency_weight, flatten_levels, flip_column_pairing,
                     instance_adversarial_perturbation, stack_branches,
                     supervised_losses)


# student parameters and buffers the teacher does not have (its backbone is
# built without the training-only feature perturbations)
STUDENT_ONLY_PREFIXES = ('backbone.perturbations.', )


def teacher_detector_config(detector: ConfigType) -> ConfigType:
    """The teacher's detector config: ``detector`` without perturbations.

    A ``NoisyResNet`` backbone (or a subclass) gets ``perturbation=None``,
    i.e. exactly mmdet's ``ResNet``: the perturbations act in training mode
    only and the teacher always runs in eval mode. Other configs are
    returned as a copy, unchanged.

    Args:
        detector (dict): The student's detector config.

    Returns:
        dict: A deep copy, the backbone's perturbations removed.
    """
    cfg = copy.deepcopy(detector)
    backbone = cfg.get('backbone') or {}
    backbone_type = backbone.get('type')
    cls = MODELS.get(backbone_type) if isinstance(backbone_type,
                                                  str) else backbone_type
    if isinstance(cls, type) and issubclass(cls, NoisyResNet):
        backbone['perturbation'] = None
    return cfg


def check_class_distribution(loss: nn.Module, head: nn.Module,
                             head_name: str) -> None:
    """Raise a ``ValueError`` unless ``loss`` reads ``head``'s classes.

    A sigmoid head (RetinaNet, RPN: ``use_sigmoid_cls``) needs a sigmoid
    consistency loss (``AdaptiveConsistencyLoss``, ``CSDConsistencyLoss``),
    a softmax head with a background class (SSD, the RoI ``BBoxHead``) a
    softmax one (``SoftmaxAdaptiveConsistencyLoss``).
    """
    head_sigmoid = getattr(head, 'use_sigmoid_cls', None)
    if head_sigmoid is None:  # the RoI BBoxHead
        head_sigmoid = getattr(getattr(head, 'loss_cls', None), 'use_sigmoid',
                               False)
    if bool(head_sigmoid) != bool(getattr(loss, 'use_sigmoid', True)):
        kind = 'sigmoid' if head_sigmoid else 'softmax'
        raise ValueError(
            f'{head_name} ({type(head).__name__}) has {kind} classification '
            f'but the consistency loss {type(loss).__name__} is for '
            f'{"softmax" if head_sigmoid else "sigmoid"} heads; use '
            + ('AdaptiveConsistencyLoss or CSDConsistencyLoss'
               if head_sigmoid else 'SoftmaxAdaptiveConsistencyLoss'))


def _drop_teacher_perturbations(module: nn.Module, state_dict: dict,
                                prefix: str, *args) -> None:
    """Load-state-dict pre-hook: drop ``teacher.backbone.perturbations.*``.

    Checkpoints written before the teacher lost its (never used)
    perturbation modules hold these keys; without this hook a strict load
    reports them as unexpected.
    """
    if getattr(module.teacher.backbone, 'perturbations', None) is not None:
        return
    old = prefix + 'teacher.' + STUDENT_ONLY_PREFIXES[0]
    for key in [k for k in state_dict if k.startswith(old)]:
        del state_dict[key]


@MODELS.register_module()
class SSMD(SemiBaseDetector):
    """SSMD: a dense student detector and an EMA teacher (Algorithm 1).

    Each step the student sees ``cutout(x)`` of the padded batch ``x``
    (labeled ``'sup'`` and unlabeled ``'unsup'`` images) and the teacher,
    without gradient and always in eval mode, sees ``cutout'(flip(x))``
    (plus IAP's ``r_adv`` when :class:`AdversarialHook` switches it on
    through :meth:`set_adversarial`). Student anchors are paired with the
    teacher anchors at their mirror positions (:func:`align_flipped_outputs`)
    and ``consistency_loss`` compares them; total = ``sup_weight`` *
    supervised (labeled images) + lambda(iter) * consistency, lambda from
    :func:`consistency_weight`. A non-finite consistency term is zeroed for
    the step; ``max_consecutive_nonfinite`` in a row raise a
    ``RuntimeError``. The teacher is updated by :class:`EMATeacherHook`.
    The teacher is built from ``detector`` without the backbone's feature
    perturbations (:func:`teacher_detector_config`; they are the identity in
    eval mode), so it holds the parameters of the plain detector;
    ``student_only_prefixes`` names the student's extra ones, and older
    checkpoints with ``teacher.backbone.perturbations.*`` still load.
    See docs/methods.md#ssmd.

    Args:
        detector (dict): A one-stage dense detector config: RetinaNet
            (sigmoid head) or SSD (softmax head with a background class).
        consistency_loss (dict): The consistency cost. Defaults to
            ``dict(type='AdaptiveConsistencyLoss')`` (sigmoid heads);
            ``dict(type='CSDConsistencyLoss')`` is CSD's cost (Table 3);
            ``dict(type='SoftmaxAdaptiveConsistencyLoss')`` for SSD. A loss
            that does not match the head's classification raises a
            ``ValueError``.
        semi_train_cfg (dict): ``cutout_holes`` (5), ``cutout_size`` (70
            px), ``cutout_labeled`` (True: the student's labeled images
            are cut out too, as in Algorithm 1; False: only its unlabeled
            ones), ``consistency_schedule`` (``'gaussian_ramp'``, Eq. 10,
            default; or ``'constant'``), ``consistency_weight`` (1.0, the
            multiplier of lambda), ``sup_weight`` (1.0), ``freeze_teacher``
            (True), ``max_consecutive_nonfinite`` (10), ``teacher_norm``
            (``'running'``: the teacher's BN uses its running statistics,
            default; ``'batch'``: its batch's statistics, running
            statistics untouched).
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
        schedule = check_consistency_schedule(
            semi_train_cfg.get('consistency_schedule', 'gaussian_ramp'))
        # SemiBaseDetector.__init__ builds two identical networks; the
        # teacher here is built without perturbation modules
        BaseDetector.__init__(self,
                              data_preprocessor=data_preprocessor,
                              init_cfg=init_cfg)
        self.student = MODELS.build(detector)
        self.teacher = MODELS.build(teacher_detector_config(detector))
        self.semi_train_cfg = semi_train_cfg
        self.semi_test_cfg = semi_test_cfg
        if semi_train_cfg.get('freeze_teacher', True) is True:
            self.freeze(self.teacher)
        self.student_only_prefixes: Tuple[str, ...] = STUDENT_ONLY_PREFIXES
        self.register_load_state_dict_pre_hook(_drop_teacher_perturbations)
        self.consistency_loss = MODELS.build(consistency_loss)
        self.check_heads()
        self.cutout_holes = int(semi_train_cfg.get('cutout_holes', 5))
        self.cutout_size = int(semi_train_cfg.get('cutout_size', 70))
        self.cutout_labeled = bool(
            semi_train_cfg.get('cutout_labeled', True))
        self.consistency_schedule = schedule
        self.consistency_weight = float(
            semi_train_cfg.get('consistency_weight', 1.0))
        self.sup_weight = float(semi_train_cfg.get('sup_weight', 1.0))
        self.max_consecutive_nonfinite = int(
            semi_train_cfg.get('max_consecutive_nonfinite', 10))
        self.teacher_norm = semi_train_cfg.get('teacher_norm', 'running')
        if self.teacher_norm not in ('running', 'batch'):
            raise ValueError("semi_train_cfg.teacher_norm must be 'running' "
                             f"or 'batch', got {self.teacher_norm!r}")
        self.adversarial_cfg: Optional[dict] = None
        self.adversarial_stats: Dict[str, float] = {}
        self._consecutive_nonfinite = 0

    def check_heads(self) -> None:
        """Raise a ``ValueError`` unless the detector's head fits SSMD.

        Called by ``__init__`` once ``consistency_loss`` is built: the
        student needs a dense ``bbox_head`` whose class distribution
        (sigmoid or softmax) the loss reads (:func:`check_class_distribution`).
        Detectors with other heads override it (:class:`TwoStageSSMD`).
        """
        head = getattr(self.student, 'bbox_head', None)
        if head is None:
            raise ValueError(
                'SSMD needs a one-stage dense detector with a bbox_head, got '
                f'{type(self.student).__name__}; use TwoStageSSMD for '
                'Faster R-CNN / Mask R-CNN')
        check_class_distribution(self.consistency_loss, head, 'bbox_head')

    def set_adversarial(self, cfg: Optional[dict]) -> None:
        """Switch IAP on with ``dict(xi=.., eps=.., tau=..)``, off with None.

        Called by :class:`AdversarialHook` before each iteration.
        """
        if cfg is not None:
            cfg = dict(cfg)
            if set(cfg) != {'xi', 'eps', 'tau'}:
                raise ValueError('adversarial cfg needs exactly xi, eps and '
                                 f'tau, got {sorted(cfg)}')
            if cfg['xi'] < 0 or cfg['eps'] < 0:
                raise ValueError(f'xi and eps must be >= 0, got {cfg}')
        self.adversarial_cfg = cfg

    def train(self, mode: bool = True) -> 'SSMD':
        """Set the student's mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.train(False)
        return self

    def student_inputs(self, inputs: Tensor, num_sup: int) -> Tensor:
        """The student's view: cutout of the batch (``cutout_labeled``).

        Args:
            inputs (Tensor): The padded batch, [B, C, H, W], the ``num_sup``
                labeled images first.
            num_sup (int): The number of labeled images.

        Returns:
            Tensor: [B, C, H, W]; the labeled images uncut unless
            ``cutout_labeled``.
        """
        student_inputs = batch_cutout(inputs, self.cutout_holes,
                                      self.cutout_size)
        if not self.cutout_labeled:
            # labeled images keep every annotated nucleus visible
            student_inputs = torch.cat(
                [inputs[:num_sup], student_inputs[num_sup:]])
        return student_inputs

    def teacher_inputs(self, inputs: Tensor) -> Tensor:
        """The teacher's view: cutout of the horizontally mirrored batch.

        Args:
            inputs (Tensor): The padded batch, [B, C, H, W].

        Returns:
            Tensor: [B, C, H, W].
        """
        return batch_cutout(inputs.flip(-1), self.cutout_holes,
                            self.cutout_size)

    def teacher_dense_outputs(
            self, teacher_inputs: Tensor, padded_width: int
    ) -> Tuple[List[Tensor], List[Tensor], List[Tensor]]:
        """Teacher head outputs aligned to the student's anchors.

        Differentiable with respect to ``teacher_inputs`` (IAP needs it);
        :meth:`teacher_outputs` is the ``no_grad`` version.

        Args:
            teacher_inputs (Tensor): The teacher's view, [B, C, H, W].
            padded_width (int): Width of the batch.

        Returns:
            tuple[list[Tensor], list[Tensor], list[Tensor]]: Per level
            class logits [B, A*C, H_l, W_l], box deltas [B, A*4, H_l, W_l]
            and the [W_l] mask of student columns with a mirror partner.
        """
        head = self.teacher.bbox_head
        with self._teacher_norm():
            cls, box = head(self.teacher.extract_feat(teacher_inputs))
        return align_flipped_outputs(cls, box, head.prior_generator,
                                     head.bbox_coder, padded_width)

    @contextmanager
    def _teacher_norm(self) -> Iterator[None]:
        """BN mode of the teacher's training forward (``teacher_norm``).

        ``'batch'`` switches the teacher's BN layers to training mode with
        momentum 0 for the duration: normalised by the batch's statistics,
        running statistics untouched. Nothing changes for ``'running'``.
        """
        if self.teacher_norm == 'running':
            yield
            return
        norms = [
            m for m in self.teacher.modules() if isinstance(m, _BatchNorm)
        ]
        saved = [(m.training, m.momentum) for m in norms]
        for m in norms:
            m.training, m.momentum = True, 0.0
        try:
            yield
        finally:
            for m, (training, momentum) in zip(norms, saved):
                m.training, m.momentum = training, momentum

    @torch.no_grad()
    def teacher_outputs(
            self, teacher_inputs: Tensor, padded_width: int
    ) -> Tuple[List[Tensor], List[Tensor], List[Tensor]]:
        """:meth:`teacher_dense_outputs` without gradient."""
        return self.teacher_dense_outputs(teacher_inputs, padded_width)

    def adversarial_perturbation(self, teacher_inputs: Tensor,
                                 student_cls: List[Tensor],
                                 student_box: List[Tensor]) -> Tensor:
        """``r_adv`` for the teacher input (Eqs. 8-9), per image.

        The probe's consistency is this model's ``consistency_loss`` (class
        plus box terms) on the anchors above ``tau``; the teacher stays in
        eval mode and only the probe ``r`` receives a gradient.

        Args:
            teacher_inputs (Tensor): The teacher's view, [B, C, H, W].
            student_cls (list[Tensor]): Per level student logits of the
                paired anchors, [N_l, C] (``flatten_levels`` with the
                pairing's ``valid_cols``).
            student_box (list[Tensor]): The matching student deltas,
                [N_l, 4].

        Returns:
            Tensor: ``r_adv``, [B, C, H, W].
        """
        num_classes = self.teacher.bbox_head.cls_out_channels
        padded_width = teacher_inputs.shape[-1]

        def forward(x: Tensor) -> Tuple[List[Tensor], List[Tensor]]:
            cls, box, valid = self.teacher_dense_outputs(x, padded_width)
            return flatten_levels(cls, box, num_classes, valid)

        def consistency(s_cls, t_cls, s_box, t_box) -> Tensor:
            cons = self.consistency_loss(s_cls, t_cls, s_box, t_box)
            return cons['loss_consistency_cls'] + cons['loss_consistency_box']

        r_adv, stats = instance_adversarial_perturbation(
            forward,
            teacher_inputs,
            student_cls,
            student_box,
            consistency,
            foreground_fn=self.consistency_loss.foreground_mass,
            **self.adversarial_cfg)
        self.adversarial_stats = {k: float(v) for k, v in stats.items()}
        return r_adv

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
            ``consistency_lambda``, ``consistency_anchor_weight`` and
            ``consistency_to_sup_ratio``.
        """
        inputs, num_sup = stack_branches(multi_batch_inputs)
        head = self.student.bbox_head

        num_classes = head.cls_out_channels
        s_cls, s_box = head(
            self.student.extract_feat(self.student_inputs(inputs, num_sup)))
        # consistency only at anchors with a mirror partner
        valid = [
            v for _, v in flip_column_pairing(
                head.prior_generator, [c.shape[-1] for c in s_cls],
                inputs.shape[-1], inputs.device)
        ]
        s_cls_flat, s_box_flat = flatten_levels(s_cls, s_box, num_classes,
                                                valid)
        teacher_inputs = self.teacher_inputs(inputs)
        iap_failed = False
        if self.adversarial_cfg is not None:
            teacher_inputs = teacher_inputs + self.adversarial_perturbation(
                teacher_inputs, s_cls_flat, s_box_flat)
            iap_failed = self.adversarial_stats['nonfinite_images'] > 0
        else:
            self.adversarial_stats = {}
        t_cls, t_box, _ = self.teacher_outputs(teacher_inputs,
                                               inputs.shape[-1])

        losses = supervised_losses(head, s_cls, s_box,
                                   multi_batch_data_samples['sup'],
                                   self.sup_weight)

        t_cls_flat, t_box_flat = flatten_levels(t_cls, t_box, num_classes,
                                                valid)
        cons = self.consistency_loss(s_cls_flat, t_cls_flat, s_box_flat,
                                     t_box_flat)
        weight = consistency_weight(self.consistency_schedule,
                                    self.consistency_weight)
        terms = self._guard_nonfinite(
            dict(zip(('class', 'box'), (cons['loss_consistency_cls'],
                                        cons['loss_consistency_box']))),
            iap_failed)
        return add_consistency_losses(losses, terms['class'], terms['box'],
                                      weight,
                                      cons['consistency_anchor_weight'])

    def _guard_nonfinite(self, terms: Dict[str, Tensor],
                         iap_failed: bool) -> Dict[str, Tensor]:
        """Zero non-finite consistency terms; stop after too many in a row.

        A zero without graph replaces the term (multiplying a NaN by zero
        would still be NaN, and its gradient too); the supervised loss keeps
        training the student for that step. ``terms`` maps a name for the
        log (e.g. ``'class'``) to a consistency term; one step counts once
        however many of its terms are not finite.
        """
        bad = [name for name, value in terms.items()
               if not torch.isfinite(value).all()]
        if iap_failed:
            bad.append('adversarial gradient')
        if not bad:
            self._consecutive_nonfinite = 0
            return terms
        self._consecutive_nonfinite += 1
        iteration = MessageHub.get_current_instance().get_info('iter', 0)
        print_log(
            f'SSMD: non-finite {", ".join(bad)} at iteration {iteration}: '
            'term zeroed / perturbation dropped for this step '
            f'({self._consecutive_nonfinite} in a row)',
            logger='current', level=logging.WARNING)
        if self._consecutive_nonfinite >= self.max_consecutive_nonfinite:
            raise RuntimeError(
                f'SSMD: the consistency or adversarial computation was not '
                f'finite for {self._consecutive_nonfinite} iterations in a '
                f'row (last at iteration {iteration}); the run is stopped. '
                'Check the learning rate, the input normalisation and the '
                'teacher (e.g. resume from an earlier checkpoint).')
        return {
            name: value if torch.isfinite(value).all() else value.new_zeros(())
            for name, value in terms.items()
        }
