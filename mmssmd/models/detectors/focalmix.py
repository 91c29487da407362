from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmcv.ops import batched_nms
from mmdet.models.task_modules.prior_generators import anchor_inside_flags
from mmdet.models.utils import rename_loss_dict, reweight_loss_dict
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import get_box_tensor
from mmengine.structures import InstanceData
from torch import Tensor

from ..losses.soft_focal_loss import SoftFocalLoss
from ..utils import (align_flipped_outputs, image_mixup,
                     images_to_anchor_major, mix_batch, object_mixup,
                     sample_mixup_lambda, sharpen, stack_branches)
from .semi_single_stage import SemiSingleStageDetector

_GUESS_VIEWS = ('identity', 'hflip')


@MODELS.register_module()
class FocalMix(SemiSingleStageDetector):
    """FocalMix (Wang et al., CVPR 2020) in 2D on a one-stage detector.

    The SSMD paper's FocalMix baseline: a plain ``SingleStageDetector``
    (ordinary RetinaNet checkpoints and prediction) whose ``loss`` trains
    MixMatch-style on the ``'sup'``/``'unsup'`` batches of a
    ``MultiBranchDataPreprocessor``: targets of unlabeled images are
    guessed by the model itself without gradient (averaged over
    ``guess_views``, sharpened), objects and then images are mixed
    (:func:`object_mixup`, :func:`image_mixup`) together with their
    anchor targets, and the mixed batch is trained with the head's
    :class:`SoftFocalLoss` and box loss, normalised like RetinaNet's
    ``loss_by_feat``. See docs/methods.md#focalmix for the step in detail.

    Args:
        **kwargs: As :class:`SemiSingleStageDetector`: ``backbone``,
            ``neck``, ``bbox_head`` (its ``loss_cls`` must be a
            :class:`SoftFocalLoss`), ``train_cfg``, ``test_cfg``,
            ``data_preprocessor`` (a ``MultiBranchDataPreprocessor``),
            ``init_cfg`` and ``semi_train_cfg``: ``sharpen_temperature`` (0.7),
            ``guess_views`` (``('identity', 'hflip')``), ``mixup_eta``
            (0.2), ``image_mixup`` (True), ``object_mixup`` (True),
            ``object_mixup_prob`` (1.0), ``object_score_thr`` (0.9),
            ``object_nms_iou`` (0.5), ``max_objects_per_img`` (100),
            ``unsup_pos_thr`` (0.5), ``sup_weight`` (1.0),
            ``unsup_weight`` (1.0). Unknown keys are an error.
    """

    SEMI_TRAIN_KEYS = ('sharpen_temperature', 'guess_views', 'mixup_eta',
                       'image_mixup', 'object_mixup', 'object_mixup_prob',
                       'object_score_thr', 'object_nms_iou',
                       'max_objects_per_img', 'unsup_pos_thr', 'sup_weight',
                       'unsup_weight')

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        cfg = self.semi_train_cfg
        if not isinstance(self.bbox_head.loss_cls, SoftFocalLoss):
            raise TypeError(
                'FocalMix needs bbox_head.loss_cls=SoftFocalLoss: mmdet\'s '
                f'{type(self.bbox_head.loss_cls).__name__} is not the '
                'soft-target focal loss for soft targets')
        self.sharpen_temperature = float(cfg.get('sharpen_temperature', 0.7))
        self.guess_views = tuple(cfg.get('guess_views', _GUESS_VIEWS))
        bad = [v for v in self.guess_views if v not in _GUESS_VIEWS]
        if bad or not self.guess_views:
            raise ValueError(f'guess_views must be a non-empty subset of '
                             f'{_GUESS_VIEWS}, got {self.guess_views}')
        self.mixup_eta = float(cfg.get('mixup_eta', 0.2))
        if self.mixup_eta <= 0:
            raise ValueError(f'mixup_eta must be > 0, got {self.mixup_eta}')
        self.use_image_mixup = bool(cfg.get('image_mixup', True))
        self.use_object_mixup = bool(cfg.get('object_mixup', True))
        self.object_mixup_prob = float(cfg.get('object_mixup_prob', 1.0))
        self.object_score_thr = float(cfg.get('object_score_thr', 0.9))
        self.object_nms_iou = float(cfg.get('object_nms_iou', 0.5))
        self.max_objects_per_img = int(cfg.get('max_objects_per_img', 100))
        self.unsup_pos_thr = float(cfg.get('unsup_pos_thr', 0.5))
        self.sup_weight = float(cfg.get('sup_weight', 1.0))
        self.unsup_weight = float(cfg.get('unsup_weight', 1.0))

    # ------------------------------------------------------------------
    # target guessing
    # ------------------------------------------------------------------
    @torch.no_grad()
    def guess_targets(self, inputs: Tensor) -> Tuple[Tensor, Tensor, list]:
        """Averaged, sharpened anchor targets of unlabeled images.

        Args:
            inputs (Tensor): Unlabeled images of the padded batch,
                [B_u, C, H, W].

        Returns:
            tuple: class targets [B_u, N, C] (sharpened probabilities), box
            targets [B_u, N, 4] (averaged deltas, the coder's normalised
            units) and the per-level feature sizes.
        """
        head = self.bbox_head
        num_imgs, width = inputs.shape[0], inputs.shape[-1]
        views = [inputs if v == 'identity' else inputs.flip(-1)
                 for v in self.guess_views]
        cls, box = head(self.extract_feat(torch.cat(views)))
        probs, deltas, count = 0., 0., 0.
        for k, view in enumerate(self.guess_views):
            sl = slice(k * num_imgs, (k + 1) * num_imgs)
            cls_k, box_k = [c[sl] for c in cls], [b[sl] for b in box]
            # anchors without a mirror partner take no part in the average
            used = [c.new_ones(c.shape[-1]) for c in cls_k]
            if view == 'hflip':
                cls_k, box_k, valid = align_flipped_outputs(
                    cls_k, box_k, head.prior_generator, head.bbox_coder,
                    width)
                used = [v.to(c.dtype) for v, c in zip(valid, cls_k)]
            used = images_to_anchor_major([
                u.view(1, 1, 1, -1).expand(num_imgs, c.shape[1] //
                                           head.cls_out_channels,
                                           c.shape[2], -1)
                for u, c in zip(used, cls_k)
            ], 1)
            probs = probs + used * images_to_anchor_major(
                cls_k, head.cls_out_channels).sigmoid()
            deltas = deltas + used * images_to_anchor_major(box_k, 4)
            count = count + used
        count = count.clamp_min(1)
        featmap_sizes = [c.shape[-2:] for c in cls]
        return (sharpen(probs / count, self.sharpen_temperature),
                deltas / count, featmap_sizes)

    @torch.no_grad()
    def pseudo_objects(self, scores: Tensor, deltas: Tensor, anchors: Tensor,
                       img_shape: Tuple[int, int]) -> InstanceData:
        """Confident guessed objects of one unlabeled image.

        Args:
            scores (Tensor): Sharpened class targets, [N, C].
            deltas (Tensor): Averaged box deltas, [N, 4].
            anchors (Tensor): The image's anchors, [N, 4].
            img_shape (tuple): ``(h, w)`` to clip boxes to.

        Returns:
            InstanceData: ``bboxes`` [M, 4], ``labels`` [M], ``scores`` [M].
        """
        score, label = scores.max(dim=1)
        keep = score >= self.object_score_thr
        result = InstanceData()
        if keep.any():
            boxes = self.bbox_head.bbox_coder.decode(
                anchors[keep], deltas[keep], max_shape=img_shape)
            _, idx = batched_nms(
                boxes, score[keep], label[keep],
                dict(type='nms', iou_threshold=self.object_nms_iou))
            idx = idx[:self.max_objects_per_img]
            result.bboxes = boxes[idx]
            result.labels = label[keep][idx]
            result.scores = score[keep][idx]
        else:
            result.bboxes = anchors.new_zeros((0, 4))
            result.labels = label.new_zeros((0, ))
            result.scores = scores.new_zeros((0, ))
        return result

    # ------------------------------------------------------------------
    # loss
    # ------------------------------------------------------------------
    def loss(self, multi_batch_inputs: Dict[str, Tensor],
             multi_batch_data_samples: Dict[str, SampleList]) -> dict:
        """FocalMix losses of one step (see the class docstring).

        Args:
            multi_batch_inputs (dict[str, Tensor]): ``'sup'`` (labeled) and
                optionally ``'unsup'`` (unlabeled) images, [B_i, C, H, W].
            multi_batch_data_samples (dict[str, list[DetDataSample]]): The
                matching data samples; ``'sup'`` carry ``gt_instances``.

        Returns:
            dict: ``sup_loss_cls``, ``sup_loss_bbox`` and, with unlabeled
            images, ``unsup_loss_cls``, ``unsup_loss_bbox``; for logging
            only ``mixup_lambda`` and ``num_pseudo_objects``.
        """
        head = self.bbox_head
        num_classes = head.cls_out_channels
        sup_samples = list(multi_batch_data_samples['sup'])
        unsup_samples = []
        if multi_batch_inputs.get('unsup') is not None:
            unsup_samples = list(multi_batch_data_samples['unsup'])
        inputs, num_sup = stack_branches(multi_batch_inputs)
        num_imgs = inputs.shape[0]
        pad_shape = tuple(inputs.shape[-2:])
        metas = []
        for sample in sup_samples + unsup_samples:
            meta = dict(sample.metainfo)
            meta['pad_shape'] = pad_shape
            meta['batch_input_shape'] = pad_shape
            metas.append(meta)
        device = inputs.device

        # 1. guess the unlabeled images' targets
        objects = [s.gt_instances for s in sup_samples]
        guess_cls = guess_box = None
        if unsup_samples:
            guess_cls, guess_box, featmap_sizes = self.guess_targets(
                inputs[num_sup:])
            priors = torch.cat(head.prior_generator.grid_priors(
                featmap_sizes, device=device))
            for i, sample in enumerate(unsup_samples):
                objects.append(self.pseudo_objects(
                    guess_cls[i], guess_box[i], priors,
                    sample.metainfo['img_shape'][:2]))
        num_pseudo = sum(len(o) for o in objects[num_sup:])

        # 2. pixel mixing: object-level, then image-level
        obj_mix = None
        mixed = inputs
        if self.use_object_mixup:
            mixed, obj_mix = self.mix_objects(inputs, objects, num_sup)
        lam, perm = 1.0, torch.arange(num_imgs, device=device)
        if self.use_image_mixup:
            lam = sample_mixup_lambda(self.mixup_eta)
            perm = torch.randperm(num_imgs).to(device)
            mixed, _ = image_mixup(mixed, [], lam, perm)

        # 3. the detector on the mixed batch
        cls_scores, bbox_preds = head(self.extract_feat(mixed))
        featmap_sizes = [c.shape[-2:] for c in cls_scores]

        # 4. anchor targets of the unmixed images
        cls_t, cls_w, box_t, box_w, owner = self.anchor_targets(
            featmap_sizes, objects, metas, num_sup, guess_cls, guess_box,
            device)

        # 5. object-level targets, 6. image-level mixing of targets
        if obj_mix is not None:
            cls_t = self.mix_object_targets(cls_t, owner, obj_mix)
        if self.use_image_mixup:
            # the pixels' convex combination, anchor by anchor
            cls_t = mix_batch(cls_t, lam, perm)
            cls_w = cls_w * cls_w[perm]

        cls_out = images_to_anchor_major(cls_scores, num_classes)
        box_out = images_to_anchor_major(bbox_preds, 4)
        losses = {}
        groups = [('sup_', slice(0, num_sup), self.sup_weight)]
        if unsup_samples:
            groups.append(('unsup_', slice(num_sup, num_imgs),
                           self.unsup_weight))
        for prefix, sl, weight in groups:
            pos = box_w[sl][..., 0].gt(0).sum(dim=1)
            avg_factor = float(pos.clamp_min(1).sum())
            loss_cls = head.loss_cls(
                cls_out[sl].reshape(-1, num_classes),
                cls_t[sl].reshape(-1, num_classes),
                cls_w[sl].reshape(-1),
                avg_factor=avg_factor)
            loss_bbox = head.loss_bbox(
                box_out[sl].reshape(-1, 4), box_t[sl].reshape(-1, 4),
                box_w[sl].reshape(-1, 4), avg_factor=avg_factor)
            losses.update(rename_loss_dict(prefix, reweight_loss_dict(
                dict(loss_cls=loss_cls, loss_bbox=loss_bbox), weight)))
        losses['mixup_lambda'] = inputs.new_tensor(lam)
        losses['num_pseudo_objects'] = inputs.new_tensor(float(num_pseudo))
        return losses

    def anchor_targets(self, featmap_sizes: List[torch.Size],
                       objects: List[InstanceData], metas: List[dict],
                       num_sup: int, guess_cls: Optional[Tensor],
                       guess_box: Optional[Tensor],
                       device: torch.device) -> Tuple[Tensor, ...]:
        """Per-anchor targets of the unmixed pool.

        Args:
            featmap_sizes (list[torch.Size]): Per level ``(H_l, W_l)``.
            objects (list[InstanceData]): Per image, GT (labeled) or
                pseudo (unlabeled) objects.
            metas (list[dict]): Image metas with the common ``pad_shape``.
            num_sup (int): Number of labeled images (first in the pool).
            guess_cls (Tensor, optional): Guessed class targets of the
                unlabeled images, [B_u, N, C].
            guess_box (Tensor, optional): Guessed box deltas, [B_u, N, 4].
            device (torch.device): Where to build the anchors.

        Returns:
            tuple[Tensor]: class targets [B, N, C], class weights [B, N],
            box targets [B, N, 4], box weights [B, N, 4] and ``owner``
            [B, N]: the index of the object the assigner gives each anchor
            to (-1 for none).
        """
        head = self.bbox_head
        anchor_list, valid_list = head.get_anchors(
            featmap_sizes, metas, device=device)
        labels, label_w, bbox_t, bbox_w, _, sampling = head.get_targets(
            anchor_list, valid_list, objects, metas,
            return_sampling_results=True)
        # [B, N] from per-level [B, N_l]
        labels = torch.cat(labels, dim=1)
        cls_w = torch.cat(label_w, dim=1)
        box_t = torch.cat(bbox_t, dim=1)
        box_w = torch.cat(bbox_w, dim=1)
        num_classes = head.cls_out_channels
        cls_t = F.one_hot(labels, num_classes + 1)[..., :num_classes].to(
            box_t.dtype)
        owner = labels.new_full(labels.shape, -1)
        for i, result in enumerate(sampling):
            flat = torch.cat(anchor_list[i])
            inside = anchor_inside_flags(
                flat, torch.cat(valid_list[i]), metas[i]['img_shape'][:2],
                head.train_cfg['allowed_border'])
            full_inds = inside.nonzero().squeeze(1)[result.pos_inds]
            owner[i, full_inds] = result.pos_assigned_gt_inds
        if guess_cls is not None:
            u = slice(num_sup, None)
            valid = torch.stack([torch.cat(v) for v in valid_list[num_sup:]])
            cls_t[u] = guess_cls.to(cls_t.dtype)
            cls_w[u] = valid.to(cls_w.dtype)
            box_t[u] = guess_box.to(box_t.dtype)
            fg = (guess_cls.max(dim=2).values >= self.unsup_pos_thr) & valid
            box_w[u] = fg[..., None].expand_as(guess_box).to(box_w.dtype)
        return cls_t, cls_w, box_t, box_w, owner

    def mix_objects(self, inputs: Tensor, objects: List[InstanceData],
                    num_sup: int) -> Tuple[Tensor, Optional[dict]]:
        """Object-level mixup of the pool's pixels.

        Args:
            inputs (Tensor): The unmixed pool, [B, C, H, W].
            objects (list[InstanceData]): Per image its objects (GT or
                pseudo, the latter with ``scores``).
            num_sup (int): Number of labeled images (first in the pool).

        Returns:
            tuple[Tensor, dict | None]: The mixed images and, for the
            target update, ``image``/``index`` (destination image and
            object index), ``lam`` and ``source`` (the source's class
            target vector, [M, C]) of every mixed object; None when nothing
            was mixed.
        """
        num_classes = self.bbox_head.cls_out_channels
        device = inputs.device
        boxes, img_ids, obj_ids, sources = [], [], [], []
        for i, obj in enumerate(objects):
            bboxes = get_box_tensor(obj.bboxes).to(inputs)
            conf = obj.scores.to(inputs) if i >= num_sup else \
                inputs.new_ones(len(bboxes))
            vec = F.one_hot(obj.labels.long().to(device),
                            num_classes).to(inputs) * conf[:, None]
            boxes.append(bboxes)
            sources.append(vec)
            img_ids.append(torch.full((len(bboxes), ), i, dtype=torch.long))
            obj_ids.append(torch.arange(len(bboxes)))
        all_boxes = torch.cat(boxes)
        total = len(all_boxes)
        if total < 2:
            return inputs, None
        all_img, all_obj = torch.cat(img_ids), torch.cat(obj_ids)
        all_src = torch.cat(sources)
        chosen = torch.rand(total) < self.object_mixup_prob
        # a uniform source among the other objects of the pool
        src = torch.randint(0, total - 1, (total, ))
        src = src + (src >= torch.arange(total)).long()
        lams = torch.tensor(
            [sample_mixup_lambda(self.mixup_eta) for _ in range(total)])
        # destinations grouped by image, in pool order
        order = chosen.nonzero().squeeze(1)
        if len(order) == 0:
            return inputs, None
        dest_boxes = [all_boxes[order[all_img[order] == i].to(device)]
                      for i in range(len(objects))]
        mixed, done = object_mixup(inputs, dest_boxes, all_img[src[order]],
                                   all_boxes[src[order].to(device)],
                                   lams[order])
        order = order[done]
        if len(order) == 0:
            return mixed, None
        return mixed, dict(
            image=all_img[order], index=all_obj[order],
            lam=lams[order].to(inputs),
            source=all_src[src[order].to(device)])

    @staticmethod
    def mix_object_targets(cls_t: Tensor, owner: Tensor,
                           obj_mix: dict) -> Tensor:
        """``t <- lam * t + (1 - lam) * s`` at the destination's anchors.

        Args:
            cls_t (Tensor): Class targets, [B, N, C].
            owner (Tensor): Object index of each anchor (-1: none), [B, N].
            obj_mix (dict): From :meth:`mix_objects`.

        Returns:
            Tensor: Updated class targets, [B, N, C].
        """
        cls_t = cls_t.clone()
        for img, idx, lam, src in zip(obj_mix['image'], obj_mix['index'],
                                      obj_mix['lam'], obj_mix['source']):
            mask = owner[int(img)] == int(idx)
            cls_t[int(img), mask] = lam * cls_t[int(img), mask] + \
                (1 - lam) * src.to(cls_t)
        return cls_t
