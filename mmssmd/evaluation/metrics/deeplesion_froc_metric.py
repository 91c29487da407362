"""Sensitivity at false positives per image (FROC), the DeepLesion metric."""
import io
import os
import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmdet.registry import METRICS
from mmdet.structures.bbox import BaseBoxes
from mmengine.evaluator import BaseMetric
from mmengine.fileio import get_local_path, load
from mmengine.logging import MMLogger

from mmssmd.utils.io import atomic_write_json
from ..functional.froc import (FROCCurve, froc_curve, sensitivity_at_fps,
                               thin_curve)


def _fp_name(fp: float) -> str:
    """``0.5 -> '0.5'``, ``4.0 -> '4'`` for the metric keys."""
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

    The DeepLesion protocol of 3DCE / MULAN / A3D: detections of all images
    are pooled and walked by descending score; a detection with IoU >=
    ``iou_thr`` (0.5) with some GT lesion of its image hits every such lesion
    (each lesion counted once, so a second detection on a hit lesion is
    *not* a false positive), a detection overlapping no lesion at >=
    ``iou_thr`` is a false positive. Sensitivity = hit lesions / lesions;
    FP/image = false positives / images. The computation is in
    :mod:`mmssmd.evaluation.functional.froc` (mmdet and pycocotools only do
    one-to-one COCO matching, where the duplicate would be a false positive).
    All classes are pooled (lesion vs. background), as in the references.

    Which images and lesions: the images fed to the metric (the test split's
    key slices, one image per key slice, as the DeepLesion dataset yields
    them). "Possibly noisy" lesions are removed from the GT, and an image
    whose lesions are all removed is dropped with its detections (the
    official test set then has 4,817 images / 4,912 lesions). A detection on
    a removed lesion that hits no other lesion counts as a false positive by
    default: the protocol removes noisy lesions from the annotations before
    scoring, so such a detection has no GT to match, exactly as if the
    lesion had never been annotated.
    ``ignore_noisy_matches=True`` instead drops such detections from the walk
    (neither hit nor false positive).

    Reading the curve: at ``x`` FP/image the sensitivity is interpolated
    linearly along the curve of operating points (score thresholds); without
    tied scores this is the best sensitivity of a threshold with at most
    ``x`` FPs per image (see :func:`sensitivity_at_fps`). **Past the end of
    the curve** (``x`` above the FP/image reached with every detection kept,
    e.g. a detector that outputs too few boxes) the last sensitivity is
    held, never extrapolated: fewer detections cannot find more lesions.
    The reached FP/image is reported as ``curve_end_fps`` so a held value is
    visible, and a warning is logged.

    Ground truth and coordinate frame. Predictions are compared with the GT
    in the ORIGINAL slice pixel coordinates (continuous, no ``+1``: IoU is
    mmdet's ``bbox_overlaps`` with ``use_legacy_coordinate=False``). mmdet
    detectors return boxes in that frame when predicting with
    ``rescale=True`` (the test loop does), dividing by ``scale_factor``;
    the DeepLesion slice loader (``LoadDeepLesionSlices``) resamples to
    0.802 mm/px and records the factor, and pads only at the right/bottom,
    so this holds. The GT comes from one of:

    * ``ann_file`` (the converter's COCO json) when given: ``bbox`` is COCO
      ``[x, y, w, h]`` in original pixels, read as ``[x, y, x + w, y + h]``
      like mmdet's ``CocoDataset``; a lesion is removed when its
      ``noisy_key`` entry (default ``'noisy'``) or ``iscrowd`` is truthy.
      Each image's ``height``/``width`` must equal the sample's
      ``ori_shape``, which catches predictions left in a resampled frame.
    * otherwise the data samples' ``gt_instances.bboxes`` (kept lesions) and
      ``ignored_instances.bboxes`` (removed lesions: the dataset gives noisy
      lesions ``ignore_flag=1``). For them to be in the original frame,
      ``LoadAnnotations`` must come *after* every geometric transform of the
      test pipeline, and the dataset needs ``noisy_as_ignored=True`` (both
      as in ``configs/_base_/datasets/deeplesion_detection.py``).

    Args:
        fps_per_image (Sequence[float]): FP/image points at which the
            sensitivity is reported. Defaults to (0.5, 1, 2, 4, 8, 16).
        iou_thr (float): IoU for a hit (``>=``). Defaults to 0.5.
        key_fp (float): The headline point, reported again as
            ``sensitivity_at_{key_fp}fp`` (the key configs use for
            ``save_best``). Defaults to 4 (the paper's number).
        ann_file (str, optional): COCO json to read the GT from; see above.
            Read (and checked) at construction, like mmdet's CocoMetric.
            Defaults to None (GT from the data samples).
        noisy_key (str): Annotation key of the noisy flag in ``ann_file``.
            Defaults to ``'noisy'``.
        ignore_noisy_matches (bool): Drop detections that hit only a removed
            lesion instead of counting them as false positives. Defaults to
            False (the reference protocol).
        outfile_prefix (str, optional): When given, the curve is written to
            ``{outfile_prefix}.froc.json`` (the curve, the sensitivities at
            ``fps_per_image``, counts) and a plot to
            ``{outfile_prefix}.froc.png``, through temporary files renamed
            into place once both are written (no partial file on error;
            missing directories are created). Note that with
            ``TeacherStudentValLoop`` the student's evaluation overwrites the
            teacher's files. Defaults to None (no files).
        backend_args (dict, optional): File backend arguments for
            ``ann_file``. Defaults to None.
        collect_device (str): ``'cpu'`` or ``'gpu'``, for collecting results
            across ranks. Defaults to ``'cpu'``.
        prefix (str): Prefix of the metric keys. Defaults to
            ``'deeplesion'``.

    Result keys (with the prefix): ``deeplesion/sens@0.5fp`` ...
    ``deeplesion/sens@16fp``, ``deeplesion/sensitivity_at_4fp`` (headline),
    ``deeplesion/mean_sens`` (mean over ``fps_per_image``, the usual "FROC
    score") and ``deeplesion/curve_end_fps``.
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
        if len(set(_fp_name(x) for x in fps)) != len(fps):
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
        return f'sensitivity_at_{_fp_name(self.key_fp)}fp'

    def _load_ann_file(self, path: str, name: str) -> Dict[int, dict]:
        """Read kept / removed lesion boxes per image from a COCO json.

        Args:
            path (str): Local path of the file.
            name (str): The name to use in error messages.

        Returns:
            Dict[int, dict]: ``image id -> dict(height, width, gt, removed)``
            with ``gt``/``removed`` (n, 4) arrays of (x1, y1, x2, y2).
        """
        data = load(path, file_format='json')
        if not isinstance(data, dict) or 'images' not in data or \
                'annotations' not in data:
            raise ValueError(f'{name}: not a COCO json (needs "images" and '
                             f'"annotations")')
        images: Dict[int, dict] = {}
        for i, img in enumerate(data['images']):
            try:
                img_id = img['id']
                images[img_id] = dict(
                    height=int(img['height']), width=int(img['width']),
                    gt=[], removed=[])
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(f'{name}: images[{i}] needs integer "id", '
                                 f'"height" and "width" ({e!r})') from None
        seen_flag = False
        for i, ann in enumerate(data['annotations']):
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
        if not seen_flag and data['annotations']:
            MMLogger.get_current_instance().warning(
                f'{name}: no annotation has a {self.noisy_key!r} key, so no '
                'lesion is removed as noisy')
        for img in images.values():
            img['gt'] = np.asarray(img['gt'], np.float64).reshape(-1, 4)
            img['removed'] = np.asarray(img['removed'],
                                        np.float64).reshape(-1, 4)
        return images

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep the predictions (and, without ``ann_file``, the GT) of a batch.

        Args:
            data_batch (dict): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): Data samples as dicts (mmengine's
                evaluator converts ``DetDataSample`` with ``to_dict()``) with
                ``img_id``, ``ori_shape`` and ``pred_instances`` (``bboxes``
                (n, 4) in original coordinates, ``scores`` (n,)); without
                ``ann_file`` also ``gt_instances`` and optionally
                ``ignored_instances``.
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
            img_id = res['img_id']
            if img_id in seen:
                raise ValueError(f'DeepLesionFROCMetric: image {img_id!r} was '
                                 'evaluated twice')
            seen.add(img_id)
            if self._gt_from_file is not None:
                if img_id not in self._gt_from_file:
                    raise ValueError(f'{self.ann_file}: no image with id '
                                     f'{img_id!r}')
                info = self._gt_from_file[img_id]
                if res['ori_shape'] != (info['height'], info['width']):
                    raise ValueError(
                        f'{self.ann_file}: image {img_id!r} is '
                        f'{info["height"]}x{info["width"]} but the '
                        f'prediction frame (ori_shape) is '
                        f'{res["ori_shape"][0]}x{res["ori_shape"][1]}; '
                        'predictions must be in original coordinates')
                gt, rem = info['gt'], info['removed']
            else:
                gt, rem = res['gt'], res['removed']
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
            results (list): The results of ``process`` for all images.

        Returns:
            Dict[str, float]: ``sens@{x}fp`` for each ``fps_per_image``,
            the headline ``sensitivity_at_{key_fp}fp``, ``mean_sens`` and
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
            metrics[f'sens@{_fp_name(fp)}fp'] = float(s)
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
            self._write_outputs(curve, metrics, counts)
        return metrics

    def _write_outputs(self, curve: FROCCurve, metrics: Dict[str, float],
                       counts: Dict[str, int]) -> None:
        """Write ``{prefix}.froc.json`` and ``{prefix}.froc.png``.

        The PNG is rendered in memory first; then the PNG goes to a temporary
        file, the JSON is written atomically and the PNG moved into place,
        so an error before the end leaves neither file half-written.
        """
        json_path = f'{self.outfile_prefix}.froc.json'
        png_path = f'{self.outfile_prefix}.froc.png'
        thin = thin_curve(curve)
        thresholds = [float(t) if np.isfinite(t) else None
                      for t in thin['thresholds']]
        record = dict(
            iou_thr=self.iou_thr,
            num_images=curve.num_images,
            num_lesions=curve.num_lesions,
            num_detections=curve.num_detections,
            num_ignored_detections=curve.num_ignored_detections,
            images_dropped_all_noisy=counts['images_dropped'],
            noisy_lesions_removed=counts['lesions_removed'],
            past_curve_end='hold last value',
            points=dict(
                fps_per_image=list(self.fps_per_image),
                sensitivity=[metrics[f'sens@{_fp_name(fp)}fp']
                             for fp in self.fps_per_image]),
            metrics=dict(metrics),
            # the polyline through the operating points, with the points
            # inside horizontal/vertical runs removed (lossless); threshold
            # null = above every score
            curve=dict(
                fps_per_image=thin['fps_per_image'].tolist(),
                sensitivity=thin['sensitivity'].tolist(),
                score_threshold=thresholds))
        png = self._render_png(curve, metrics)
        directory = osp.dirname(osp.abspath(png_path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f'.{osp.basename(png_path)}.', suffix='.tmp', dir=directory)
        try:
            with os.fdopen(fd, 'wb') as f:
                f.write(png)
            atomic_write_json(record, json_path, indent=1)
            os.replace(tmp, png_path)
        except BaseException:
            try:
                os.remove(tmp)
            except OSError:
                pass
            raise
        MMLogger.get_current_instance().info(
            f'FROC curve written to {json_path} and {png_path}')

    def _render_png(self, curve: FROCCurve,
                    metrics: Dict[str, float]) -> bytes:
        """Plot the curve (log2 FP/image axis) and return the PNG bytes."""
        # Figure + Agg canvas: no pyplot global state, no backend switch
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4.5), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        lo = min(self.fps_per_image + [self.key_fp]) / 2
        hi = max(self.fps_per_image + [self.key_fp]) * 2
        xs = np.concatenate([
            curve.fps_per_image[curve.fps_per_image > 0],
            np.geomspace(lo, hi, 400)
        ])
        xs = np.unique(xs[(xs >= lo) & (xs <= hi)])
        ys = sensitivity_at_fps(curve, xs)
        inside = xs <= curve.end_fps
        ax.plot(xs[inside], ys[inside], '-', color='tab:blue', label='FROC')
        if (~inside).any():
            ax.plot(xs[~inside], ys[~inside], '--', color='tab:blue',
                    label='past curve end (held)')
        pts = [metrics[f'sens@{_fp_name(fp)}fp'] for fp in self.fps_per_image]
        ax.plot(self.fps_per_image, pts, 'o', color='tab:red')
        for fp, s in zip(self.fps_per_image, pts):
            ax.annotate(f'{s:.3f}', (fp, s), textcoords='offset points',
                        xytext=(0, 6), ha='center', fontsize=8)
        ax.set_xscale('log', base=2)
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel('false positives per image')
        ax.set_ylabel('sensitivity')
        ax.set_title(
            f'{curve.num_lesions} lesions, {curve.num_images} images, IoU >= '
            f'{self.iou_thr:g}: sens@{_fp_name(self.key_fp)} = '
            f'{metrics[self.headline_key]:.4f}', fontsize=9)
        ax.grid(True, which='both', alpha=0.3)
        ax.legend(loc='lower right', fontsize=8)
        buf = io.BytesIO()
        fig.savefig(buf, format='png')
        return buf.getvalue()
