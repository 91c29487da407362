"""Sensitivity at false positives per image (FROC), the DeepLesion metric."""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import METRICS
from mmdet.structures.bbox import BaseBoxes
from mmengine.evaluator import BaseMetric
from mmengine.fileio import dump, get_local_path
from mmengine.logging import MMLogger

from ..functional.froc import (FROCCurve, froc_curve, sensitivity_at_fps,
                               thin_curve)


def fp_name(fp: float) -> str:
    """``0.5 -> '0.5'``, ``4.0 -> '4'``: the FP/image part of metric keys."""
    return f'{float(fp):g}'


def _as_boxes(boxes) -> np.ndarray:
    """Boxes (tensor, BaseBoxes, array or list) as a float64 (n, 4) array."""
    if isinstance(boxes, BaseBoxes):
        boxes = boxes.tensor
    if isinstance(boxes, torch.Tensor):
        boxes = boxes.detach().cpu().numpy()
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


def _as_scores(scores) -> np.ndarray:
    """Scores (tensor, array or list) as a float64 (n,) array."""
    if isinstance(scores, torch.Tensor):
        scores = scores.detach().cpu().numpy()
    return np.asarray(scores, dtype=np.float64).reshape(-1)


@METRICS.register_module()
class DeepLesionFROCMetric(BaseMetric):
    """Lesion sensitivity at 0.5, 1, 2, 4, 8 and 16 false positives per image.

    The DeepLesion protocol of 3DCE / MULAN / A3D over all images pooled: a
    detection with IoU >= ``iou_thr`` with lesions of its image hits them all
    (each lesion counted once, so a duplicate is not a false positive), any
    other detection is a false positive; "possibly noisy" lesions are removed
    from the ground truth and an image left without lesions is dropped. The
    walk is :func:`mmssmd.evaluation.functional.froc_curve`; past the end of
    the curve the last sensitivity is held and ``curve_end_fps`` says where
    it ends. Predictions must be in original slice pixels. Protocol details,
    the GT coordinate frame and the two GT sources: see
    ``docs/data_and_metrics.md`` (DeepLesion FROC).

    Args:
        fps_per_image: FP/image points at which the sensitivity is reported.
        iou_thr: IoU for a hit (``>=``).
        key_fp: The headline point, reported again as
            ``sensitivity_at_{key_fp}fp`` (the key of ``save_best``).
        ann_file: COCO json (``deeplesion_to_coco.py``) to read the GT from,
            at construction; None takes it from the data samples'
            ``gt_instances`` / ``ignored_instances``.
        noisy_key: Annotation key of the noisy flag in ``ann_file``.
        ignore_noisy_matches: Drop detections that hit only a removed lesion
            instead of counting them as false positives.
        outfile_prefix: If given, the curve, the points and the counts are
            written to ``{outfile_prefix}.froc.json`` (plot it with
            ``tools/analysis/plot_froc.py``).
        backend_args: File backend arguments for ``ann_file``.
        collect_device: ``'cpu'`` or ``'gpu'``, for collecting results.
        prefix: Prefix of the metric keys.

    Result keys (with the prefix): ``sens@{x}fp`` for each
    ``fps_per_image``, ``sensitivity_at_{key_fp}fp``, ``mean_sens`` (the
    mean over ``fps_per_image``) and ``curve_end_fps``.
    """
    default_prefix: Optional[str] = 'deeplesion'

    def __init__(self,
                 fps_per_image: Sequence[float] = (0.5, 1, 2, 4, 8, 16),
                 iou_thr: float = 0.5,
                 key_fp: float = 4.0,
                 ann_file: Optional[str] = None,
                 noisy_key: str = 'noisy',
                 ignore_noisy_matches: bool = False,
                 outfile_prefix: Optional[str] = None,
                 backend_args: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'deeplesion') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        fps = [float(x) for x in fps_per_image]
        if not fps or not all(np.isfinite(x) and x > 0 for x in fps):
            raise ValueError(f'fps_per_image must be positive numbers, '
                             f'got {fps_per_image}')
        if len(set(fp_name(x) for x in fps)) != len(fps):
            raise ValueError(f'fps_per_image has duplicates: {fps_per_image}')
        if not 0 < iou_thr <= 1:
            raise ValueError(f'iou_thr must be in (0, 1], got {iou_thr}')
        if not (np.isfinite(key_fp) and key_fp > 0):
            raise ValueError(f'key_fp must be positive, got {key_fp}')
        self.fps_per_image = fps
        self.iou_thr = float(iou_thr)
        self.key_fp = float(key_fp)
        self.noisy_key = noisy_key
        self.ignore_noisy_matches = bool(ignore_noisy_matches)
        self.outfile_prefix = outfile_prefix
        self.ann_file = ann_file
        self._gt_from_file: Optional[Dict[int, dict]] = None
        if ann_file is not None:
            with get_local_path(ann_file, backend_args=backend_args) as path:
                self._gt_from_file = self._load_ann_file(path, ann_file)

    @property
    def headline_key(self) -> str:
        """The key of the headline number (without the prefix)."""
        return f'sensitivity_at_{fp_name(self.key_fp)}fp'

    def _load_ann_file(self, path: str, name: str) -> Dict[int, dict]:
        """Kept / removed lesion boxes per image of a COCO json.

        Args:
            path: Local path of the file.
            name: The name to use in error messages.

        Returns:
            ``image id -> dict(height, width, gt, removed)``, ``gt`` and
            ``removed`` (n, 4) arrays of (x1, y1, x2, y2).
        """
        try:
            coco = COCO(path)
        except (AssertionError, KeyError, TypeError) as e:
            raise ValueError(f'{name}: not a COCO json ({e!r})') from None
        if 'images' not in coco.dataset or 'annotations' not in coco.dataset:
            raise ValueError(f'{name}: not a COCO json (needs "images" and '
                             f'"annotations")')
        images: Dict[int, dict] = {}
        for img_id, img in coco.imgs.items():
            try:
                images[img_id] = dict(
                    height=int(img['height']), width=int(img['width']),
                    gt=[], removed=[])
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(f'{name}: image {img_id!r} needs integer '
                                 f'"height" and "width" ({e!r})') from None
        seen_flag = False
        for i, ann in enumerate(coco.dataset['annotations']):
            where = f'{name}: annotations[{i}] (id {ann.get("id")})'
            if ann.get('image_id') not in images:
                raise ValueError(f'{where}: image_id {ann.get("image_id")!r} '
                                 'is not in "images"')
            bbox = ann.get('bbox')
            try:
                x, y, w, h = (float(v) for v in bbox)
            except (TypeError, ValueError):
                raise ValueError(f'{where}: bbox must be [x, y, w, h], got '
                                 f'{bbox!r}') from None
            if not (np.isfinite([x, y, w, h]).all() and w >= 0 and h >= 0):
                raise ValueError(f'{where}: bad bbox {bbox!r}')
            seen_flag |= self.noisy_key in ann
            removed = bool(ann.get(self.noisy_key, 0)) or bool(
                ann.get('iscrowd', 0))
            images[ann['image_id']]['removed' if removed else 'gt'].append(
                [x, y, x + w, y + h])
        if not seen_flag and coco.dataset['annotations']:
            MMLogger.get_current_instance().warning(
                f'{name}: no annotation has a {self.noisy_key!r} key, so no '
                'lesion is removed as noisy')
        for img in images.values():
            for key in ('gt', 'removed'):
                img[key] = np.asarray(img[key], np.float64).reshape(-1, 4)
        return images

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep the predictions (and, without ``ann_file``, the GT) of a batch.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples: Data samples as dicts with ``img_id``,
                ``ori_shape`` and ``pred_instances`` (``bboxes`` (n, 4) in
                original coordinates, ``scores`` (n,)); without ``ann_file``
                also ``gt_instances`` and optionally ``ignored_instances``.
        """
        for sample in data_samples:
            pred = sample['pred_instances']
            result = dict(
                img_id=sample['img_id'],
                ori_shape=tuple(int(v) for v in sample['ori_shape'][:2]),
                bboxes=_as_boxes(pred['bboxes']).astype(np.float32),
                scores=_as_scores(pred['scores']))
            if self._gt_from_file is None:
                if 'gt_instances' not in sample:
                    raise ValueError(
                        'DeepLesionFROCMetric needs ground truth: give it '
                        '`ann_file`, or put LoadAnnotations (after the '
                        'geometric transforms) in the test pipeline so that '
                        f'data samples carry gt_instances (img_id '
                        f'{sample["img_id"]!r} has none)')
                result['gt'] = _as_boxes(sample['gt_instances']['bboxes'])
                ignored = sample.get('ignored_instances', {})
                result['removed'] = _as_boxes(
                    ignored['bboxes'] if 'bboxes' in ignored else [])
            self.results.append(result)

    def _gt_of(self, res: dict) -> Tuple[np.ndarray, np.ndarray]:
        """Kept and removed GT boxes of one result, checking its frame."""
        if self._gt_from_file is None:
            return res['gt'], res['removed']
        img_id = res['img_id']
        if img_id not in self._gt_from_file:
            raise ValueError(f'{self.ann_file}: no image with id {img_id!r}')
        info = self._gt_from_file[img_id]
        if res['ori_shape'] != (info['height'], info['width']):
            raise ValueError(
                f'{self.ann_file}: image {img_id!r} is '
                f'{info["height"]}x{info["width"]} but the prediction frame '
                f'(ori_shape) is {res["ori_shape"][0]}x'
                f'{res["ori_shape"][1]}; predictions must be in original '
                'coordinates')
        return info['gt'], info['removed']

    def _gather(self, results: List[dict]) -> Tuple[list, list, list, list,
                                                      Dict[str, int]]:
        """Per evaluated image: detections, scores, kept and removed GT.

        Images whose lesions are all removed are dropped here.
        """
        seen = set()
        dets, scores, gts, removed = [], [], [], []
        counts = dict(images_in=len(results), images_dropped=0,
                      lesions_removed=0)
        for res in results:
            if res['img_id'] in seen:
                raise ValueError(f'DeepLesionFROCMetric: image '
                                 f'{res["img_id"]!r} was evaluated twice')
            seen.add(res['img_id'])
            gt, rem = self._gt_of(res)
            counts['lesions_removed'] += len(rem)
            if len(gt) == 0 and len(rem) > 0:
                counts['images_dropped'] += 1
                continue
            dets.append(res['bboxes'])
            scores.append(res['scores'])
            gts.append(gt)
            removed.append(rem)
        return dets, scores, gts, removed, counts

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute the FROC curve and the sensitivities.

        Args:
            results: The results of ``process`` for all images.

        Returns:
            ``sens@{x}fp`` for each ``fps_per_image``, the headline
            ``sensitivity_at_{key_fp}fp``, ``mean_sens`` and
            ``curve_end_fps``.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        dets, scores, gts, removed, counts = self._gather(results)
        curve = froc_curve(
            dets, scores, gts, iou_thr=self.iou_thr,
            ignored_gt_bboxes=removed if self.ignore_noisy_matches else None)
        sens = sensitivity_at_fps(curve, self.fps_per_image)
        key_sens = float(sensitivity_at_fps(curve, [self.key_fp])[0])

        metrics: Dict[str, float] = OrderedDict()
        for fp, s in zip(self.fps_per_image, sens):
            metrics[f'sens@{fp_name(fp)}fp'] = float(s)
        metrics[self.headline_key] = key_sens
        metrics['mean_sens'] = float(np.mean(sens))
        metrics['curve_end_fps'] = curve.end_fps

        logger.info(
            f'DeepLesion FROC: {curve.num_images} images '
            f'({counts["images_dropped"]} dropped: all lesions noisy), '
            f'{curve.num_lesions} lesions ({counts["lesions_removed"]} noisy '
            f'removed), {curve.num_detections} detections '
            f'({curve.num_ignored_detections} on noisy lesions ignored); '
            f'curve ends at {curve.end_fps:.3f} FP/image, sensitivity '
            f'{curve.end_sensitivity:.4f}')
        held = [fp for fp in self.fps_per_image + [self.key_fp]
                if fp > curve.end_fps]
        if held:
            logger.warning(
                'DeepLesion FROC: the curve ends at '
                f'{curve.end_fps:.3f} FP/image; the sensitivity at '
                f'{sorted(set(held))} FP/image holds the last value '
                f'{curve.end_sensitivity:.4f} (the detector outputs too few '
                'boxes, e.g. raise test_cfg max_per_img or lower score_thr)')
        if self.outfile_prefix is not None:
            path = f'{self.outfile_prefix}.froc.json'
            dump(self.curve_record(curve, metrics, counts), path,
                 file_format='json', indent=1)
            logger.info(f'FROC curve written to {path}')
        return metrics

    def curve_record(self, curve: FROCCurve, metrics: Dict[str, float],
                     counts: Dict[str, int]) -> dict:
        """The content of ``{outfile_prefix}.froc.json``.

        ``curve`` is the polyline through the operating points without the
        points inside horizontal / vertical runs (lossless); a
        ``score_threshold`` of None is above every score.
        """
        thin = thin_curve(curve)
        thresholds = [float(t) if np.isfinite(t) else None
                      for t in thin['thresholds']]
        return dict(
            iou_thr=self.iou_thr,
            key_fp=self.key_fp,
            num_images=curve.num_images,
            num_lesions=curve.num_lesions,
            num_detections=curve.num_detections,
            num_ignored_detections=curve.num_ignored_detections,
            images_dropped_all_noisy=counts['images_dropped'],
            noisy_lesions_removed=counts['lesions_removed'],
            past_curve_end='hold last value',
            points=dict(
                fps_per_image=list(self.fps_per_image),
                sensitivity=[metrics[f'sens@{fp_name(fp)}fp']
                             for fp in self.fps_per_image]),
            metrics=dict(metrics),
            curve=dict(
                fps_per_image=thin['fps_per_image'].tolist(),
                sensitivity=thin['sensitivity'].tolist(),
                score_threshold=thresholds))
