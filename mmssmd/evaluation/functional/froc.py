"""FROC (sensitivity vs. false positives per image) for lesion detection.

The DeepLesion protocol used by 3DCE, MULAN and A3D (implemented here from
its description, not from their code): pool the detections
of all images and walk down them by descending score. A detection whose IoU
with some ground-truth (GT) box of its own image is ``>= iou_thr`` marks every
such GT box as hit (each GT counts once); a detection that overlaps no GT box
at ``>= iou_thr`` is a false positive (FP). A second detection on an
already-hit GT is therefore *not* a false positive. After each detection,
sensitivity = hits / all GT and FP/image = FPs / images.

Neither mmdet nor pycocotools computes this: COCO matching is one-to-one
(a duplicate is a FP) and reports precision/recall, not FPs per image. So the
walk is written here; the IoU itself is mmdet's
:func:`mmdet.evaluation.functional.bbox_overlaps` with
``use_legacy_coordinate=False`` (continuous pixel coordinates, no ``+1``).

Order invariance: whether a detection is a FP, and which GT boxes it hits,
depends only on that detection and its image's GT, not on the walk order, so
the counts after "all detections with score >= t" are a function of ``t``.
The curve is recorded only at these operating points, i.e. after the last
detection of each group of equal scores, so neither the order of images nor
the order of tied detections changes it. (A walk recording a point after
every single detection would make the points inside a tie group depend on the
order; no score threshold can produce them anyway.)
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.evaluation.functional import bbox_overlaps


@dataclass
class FROCCurve:
    """An FROC curve, one point per operating point (score threshold).

    Attributes:
        fps_per_image (np.ndarray): Shape (K,), non-decreasing, FPs / images.
            The first point is ``(0, 0)`` (threshold above every score).
        sensitivity (np.ndarray): Shape (K,), non-decreasing, hits / GT.
        thresholds (np.ndarray): Shape (K,), the score threshold of each
            point (detections with ``score >= threshold`` kept); ``inf`` for
            the first point.
        num_images (int): Images evaluated (the denominator of FP/image).
        num_lesions (int): GT boxes evaluated (the denominator of
            sensitivity).
        num_detections (int): Detections walked.
        num_ignored_detections (int): Detections removed from the walk
            because they matched only an ignored GT box (0 unless
            ``ignored_gts`` was given).
    """
    fps_per_image: np.ndarray
    sensitivity: np.ndarray
    thresholds: np.ndarray
    num_images: int
    num_lesions: int
    num_detections: int
    num_ignored_detections: int = 0

    @property
    def end_fps(self) -> float:
        """FP/image at the last point (all detections kept)."""
        return float(self.fps_per_image[-1])

    @property
    def end_sensitivity(self) -> float:
        """Sensitivity at the last point (all detections kept)."""
        return float(self.sensitivity[-1])


def _check_boxes(boxes: np.ndarray, what: str) -> np.ndarray:
    """Return ``boxes`` as a float64 (n, 4) array or raise a clear error."""
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.size == 0:
        return boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f'{what}: expected boxes of shape (n, 4) '
                         f'(x1, y1, x2, y2), got {boxes.shape}')
    if not np.isfinite(boxes).all():
        raise ValueError(f'{what}: boxes contain NaN or inf')
    return boxes


def froc_curve(det_bboxes: Sequence[np.ndarray],
               det_scores: Sequence[np.ndarray],
               gt_bboxes: Sequence[np.ndarray],
               iou_thr: float = 0.5,
               ignored_gt_bboxes: Optional[Sequence[np.ndarray]] = None
               ) -> FROCCurve:
    """Compute the pooled FROC curve of a set of images.

    Args:
        det_bboxes (Sequence[np.ndarray]): Per image, detections of shape
            (n_i, 4) as (x1, y1, x2, y2).
        det_scores (Sequence[np.ndarray]): Per image, scores of shape (n_i,).
        gt_bboxes (Sequence[np.ndarray]): Per image, GT boxes of shape
            (m_i, 4) as (x1, y1, x2, y2). An image with no GT box still
            counts as an image (its detections are all FPs).
        iou_thr (float): A detection hits a GT box when IoU >= ``iou_thr``.
            Defaults to 0.5.
        ignored_gt_bboxes (Sequence[np.ndarray], optional): Per image, boxes
            that are neither to be found nor to be penalised: a detection
            that hits no GT box but has IoU >= ``iou_thr`` with one of these
            is removed from the walk (neither hit nor FP). None (default)
            means there are none, and every detection missing all GT boxes
            is a FP.

    Returns:
        FROCCurve: The curve at every distinct score threshold.

    Raises:
        ValueError: On mismatched lengths, malformed boxes or scores, no
            image, or no GT box at all (sensitivity is undefined).
    """
    num_images = len(gt_bboxes)
    if len(det_bboxes) != num_images or len(det_scores) != num_images:
        raise ValueError(
            f'froc_curve: got {len(det_bboxes)} detection lists, '
            f'{len(det_scores)} score lists and {num_images} GT lists; '
            'they must be per image and of equal length')
    if ignored_gt_bboxes is not None and len(ignored_gt_bboxes) != num_images:
        raise ValueError(f'froc_curve: got {len(ignored_gt_bboxes)} ignored '
                         f'GT lists for {num_images} images')
    if num_images == 0:
        raise ValueError('froc_curve: no image to evaluate')
    if not 0 < iou_thr <= 1:
        raise ValueError(f'froc_curve: iou_thr must be in (0, 1], '
                         f'got {iou_thr}')

    all_scores: List[np.ndarray] = []
    all_is_fp: List[np.ndarray] = []
    all_keep: List[np.ndarray] = []
    # per GT box: indices (into the pooled detection list) of its hitters
    hitters: List[np.ndarray] = []
    num_lesions = 0
    offset = 0
    for i in range(num_images):
        dets = _check_boxes(det_bboxes[i], f'image {i} detections')
        scores = np.asarray(det_scores[i], dtype=np.float64).reshape(-1)
        if len(scores) != len(dets):
            raise ValueError(f'image {i}: {len(dets)} boxes but '
                             f'{len(scores)} scores')
        if not np.isfinite(scores).all():
            raise ValueError(f'image {i}: scores contain NaN or inf')
        gts = _check_boxes(gt_bboxes[i], f'image {i} GT')
        hit = bbox_overlaps(dets, gts, use_legacy_coordinate=False) >= iou_thr
        is_fp = ~hit.any(axis=1)
        keep = np.ones(len(dets), dtype=bool)
        if ignored_gt_bboxes is not None:
            ign = _check_boxes(ignored_gt_bboxes[i], f'image {i} ignored GT')
            on_ignored = (bbox_overlaps(
                dets, ign, use_legacy_coordinate=False) >= iou_thr).any(1)
            keep = ~(is_fp & on_ignored)
        for j in range(len(gts)):
            hitters.append(offset + np.flatnonzero(hit[:, j] & keep))
        num_lesions += len(gts)
        all_scores.append(scores)
        all_is_fp.append(is_fp)
        all_keep.append(keep)
        offset += len(dets)
    if num_lesions == 0:
        raise ValueError('froc_curve: no GT box in the evaluated images, '
                         'sensitivity is undefined')

    scores = np.concatenate(all_scores)
    is_fp = np.concatenate(all_is_fp)
    keep = np.concatenate(all_keep)
    num_ignored = int((~keep).sum())

    # rank of each pooled detection by descending score; the order inside a
    # tie group does not matter because points are only taken at group ends
    order = np.argsort(-scores, kind='stable')
    rank = np.empty(len(scores), dtype=np.int64)
    rank[order] = np.arange(len(scores))
    sorted_scores = scores[order]
    n = len(scores)

    # a GT box is hit from the first (best ranked) of its hitters on
    first_hit = np.array([rank[h].min() for h in hitters if len(h)],
                         dtype=np.int64)
    hits_cum = np.cumsum(np.bincount(first_hit, minlength=n))[:n]
    fps_cum = np.cumsum((is_fp & keep)[order])

    if n:
        group_end = np.flatnonzero(
            np.append(sorted_scores[1:] != sorted_scores[:-1], True))
    else:
        group_end = np.zeros(0, dtype=np.int64)
    fps = np.concatenate([[0.0], fps_cum[group_end] / num_images])
    sens = np.concatenate([[0.0], hits_cum[group_end] / num_lesions])
    thresholds = np.concatenate([[np.inf], sorted_scores[group_end]])
    return FROCCurve(
        fps_per_image=fps,
        sensitivity=sens,
        thresholds=thresholds,
        num_images=num_images,
        num_lesions=num_lesions,
        num_detections=n - num_ignored,
        num_ignored_detections=num_ignored)


def sensitivity_at_fps(curve: FROCCurve,
                       fps_per_image: Sequence[float]) -> np.ndarray:
    """Read the sensitivity of a FROC curve at given FP/image values.

    The curve is the polyline through its operating points. Without tied
    scores it is a staircase: a hit moves it up at constant FP/image, a FP
    moves it right at constant sensitivity. At a query ``x`` the value is
    the linear interpolation between the last point with FP/image ``<= x``
    (the top of a vertical run when ``x`` falls on one) and the next point.
    On a staircase this equals the best sensitivity of any score threshold
    with at most ``x`` FPs per image; only a tie group that mixes hits and
    FPs gives a sloped segment, which is interpolated linearly.

    Past the end of the curve (``x`` above the FP/image with all detections
    kept) the last sensitivity is held: lowering the threshold further adds
    no detection, so no higher sensitivity is reachable; linear
    extrapolation (used by some reference scripts) would credit hits that
    were never detected and can exceed 1.

    Args:
        curve (FROCCurve): A curve from :func:`froc_curve`.
        fps_per_image (Sequence[float]): Query points, each ``>= 0``.

    Returns:
        np.ndarray: Shape (len(fps_per_image),), the sensitivities.
    """
    x = np.asarray(fps_per_image, dtype=np.float64).reshape(-1)
    if not (np.isfinite(x).all() and (x >= 0).all()):
        raise ValueError(f'FP/image query points must be finite and >= 0, '
                         f'got {list(fps_per_image)}')
    fps, sens = curve.fps_per_image, curve.sensitivity
    k = np.searchsorted(fps, x, side='right') - 1  # last point with fps <= x
    out = sens[k].copy()
    inside = k < len(fps) - 1
    if inside.any():
        ki = k[inside]
        x0, x1 = fps[ki], fps[ki + 1]
        y0, y1 = sens[ki], sens[ki + 1]
        out[inside] = y0 + (y1 - y0) * (x[inside] - x0) / (x1 - x0)
    return out


def thin_curve(curve: FROCCurve) -> Dict[str, np.ndarray]:
    """Drop points that lie inside a horizontal or vertical run.

    Such points are collinear with both neighbours, so the polyline (and
    :func:`sensitivity_at_fps`) is unchanged; the full curve of a test set
    has one point per distinct score (hundreds of thousands), the thinned one
    about two per hit lesion.

    Args:
        curve (FROCCurve): A curve from :func:`froc_curve`.

    Returns:
        Dict[str, np.ndarray]: ``fps_per_image``, ``sensitivity`` and
        ``thresholds`` of the kept points (first and last always kept,
        except that of repeated points only the first is kept).
    """
    f, s, t = curve.fps_per_image, curve.sensitivity, curve.thresholds
    # first merge repeated points (a duplicate detection changes neither
    # coordinate), keeping the highest threshold that reaches the point;
    # after that no point is interior to a vertical and a horizontal run at
    # once, so removing run interiors keeps every corner
    new = np.ones(len(f), dtype=bool)
    new[1:] = (f[1:] != f[:-1]) | (s[1:] != s[:-1])
    f, s, t = f[new], s[new], t[new]
    keep = np.ones(len(f), dtype=bool)
    if len(f) > 2:
        mid_f = (f[:-2] == f[1:-1]) & (f[1:-1] == f[2:])
        mid_s = (s[:-2] == s[1:-1]) & (s[1:-1] == s[2:])
        keep[1:-1] = ~(mid_f | mid_s)
    return dict(fps_per_image=f[keep], sensitivity=s[keep], thresholds=t[keep])
