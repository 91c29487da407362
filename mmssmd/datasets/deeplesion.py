import math
from typing import List, Sequence, Union

from mmdet.registry import DATASETS

from .checked_coco import CheckedCocoDataset

# per-image fields of the converter's json that the slice loader (and
# anyone inspecting a sample) uses; copied into data_info as they are
IMAGE_KEYS = ('series', 'slice_dir', 'key_slice', 'slice_range', 'spacing',
              'dicom_windows', 'split', 'patient_gender', 'patient_age',
              'num_noisy')
# per-lesion fields copied into each instance
INSTANCE_KEYS = ('noisy', 'lesion_type')
# tolerance on where the diameters cross, as a fraction of each diameter
# (float noise in the csv; a crossing further outside is an error)
_CROSS_TOL = 1e-3


class RecistError(ValueError):
    """A RECIST measurement that gives no mask (malformed or degenerate)."""


def recist_polygon(recist: Sequence[float],
                   points_per_quarter: int = 16) -> List[float]:
    """A lesion outline from its RECIST diameters, as a COCO polygon.

    DeepLesion marks each lesion by its RECIST diameters: the long axis
    ``(x1, y1)-(x2, y2)`` and the short axis ``(x3, y3)-(x4, y4)`` that
    crosses it (``recist = [x1, y1, x2, y2, x3, y3, x4, y4]``, pixels of
    the slice, as ``deeplesion_to_coco.py`` stores them). The outline is
    the ellipse whose axes are the two diameters, built as MULAN's pseudo
    masks are: around the point ``c`` where the diameters cross, four
    quarter-ellipses ``c + cos(t) u + sin(t) v`` (``t`` in ``[0, pi/2]``)
    join the end points in turn (``u``, ``v`` the vectors from ``c`` to two
    neighbouring end points). It passes through the four end points, its
    tangent is continuous there, and when the diameters are perpendicular
    and bisect each other it is exactly that ellipse; when the short axis
    crosses the long one off its middle, each quarter keeps its own two
    radii.

    Args:
        recist (Sequence[float]): The 8 coordinates.
        points_per_quarter (int): Vertices per quarter (the polygon has 4x
            as many, the first of each quarter an end point).

    Returns:
        list[float]: ``[x, y, x, y, ...]``, starting at ``(x1, y1)``.

    Raises:
        RecistError: Not 8 finite numbers, a diameter of length 0,
            parallel diameters, or diameters that do not cross.
    """
    try:
        values = [float(v) for v in recist]
    except (TypeError, ValueError):
        raise RecistError(f'RECIST must be 8 numbers, got {recist!r}') \
            from None
    if len(values) != 8 or not all(math.isfinite(v) for v in values):
        raise RecistError(f'RECIST must be 8 finite numbers, got {recist!r}')
    if points_per_quarter < 1:
        raise RecistError(
            f'points_per_quarter must be positive, got {points_per_quarter}')
    x1, y1, x2, y2, x3, y3, x4, y4 = values
    dx1, dy1 = x2 - x1, y2 - y1  # long axis
    dx2, dy2 = x4 - x3, y4 - y3  # short axis
    len1, len2 = math.hypot(dx1, dy1), math.hypot(dx2, dy2)
    if len1 == 0 or len2 == 0:
        raise RecistError(f'RECIST {values}: a diameter has length 0 '
                          f'(long {len1:g}, short {len2:g} px)')
    # (x1, y1) + s * d1 = (x3, y3) + r * d2
    cross = dx1 * dy2 - dy1 * dx2
    if abs(cross) <= 1e-9 * len1 * len2:
        raise RecistError(f'RECIST {values}: the diameters are parallel')
    ex, ey = x3 - x1, y3 - y1
    s = (ex * dy2 - ey * dx2) / cross
    r = (ex * dy1 - ey * dx1) / cross
    if not (-_CROSS_TOL <= s <= 1 + _CROSS_TOL
            and -_CROSS_TOL <= r <= 1 + _CROSS_TOL):
        raise RecistError(
            f'RECIST {values}: the diameters do not cross (they meet at '
            f'{s:.3f} of the long and {r:.3f} of the short axis)')
    s = min(max(s, 0.0), 1.0)
    cx, cy = x1 + s * dx1, y1 + s * dy1
    # the end points in turn around the crossing: long, short, long, short
    ends = [(x1 - cx, y1 - cy), (x3 - cx, y3 - cy), (x2 - cx, y2 - cy),
            (x4 - cx, y4 - cy)]
    polygon: List[float] = []
    for k in range(4):
        (ux, uy), (vx, vy) = ends[k], ends[(k + 1) % 4]
        for i in range(points_per_quarter):
            t = 0.5 * math.pi * i / points_per_quarter
            c, n = math.cos(t), math.sin(t)
            polygon += [cx + c * ux + n * vx, cy + c * uy + n * vy]
    # the end points exactly (cos(pi/2) is 6e-17, not 0)
    for k, (ux, uy) in enumerate(ends):
        polygon[2 * k * points_per_quarter] = cx + ux
        polygon[2 * k * points_per_quarter + 1] = cy + uy
    return polygon


@DATASETS.register_module()
class DeepLesionDataset(CheckedCocoDataset):
    """DeepLesion key slices in the COCO format of ``deeplesion_to_coco.py``.

    A :class:`CheckedCocoDataset` with one ``lesion`` class whose
    ``data_info`` also carries the image fields ``LoadDeepLesionSlices`` needs
    (``key_slice``, ``slice_range``, ``spacing`` ``[x, y, z]`` in mm, ...;
    see ``IMAGE_KEYS``) and, per instance, ``noisy`` and ``lesion_type``.
    ``img_path`` is the key slice; the neighbours are read from its folder.
    Labeled and unlabeled splits share this type, so their ``metainfo``
    match (``ConcatDataset`` requires it). Besides the base class's checks
    (whose missing-file hint names ``deeplesion_to_coco.py``), an image
    entry without the loader's fields fails, naming the file.

    Args:
        noisy_as_ignored (bool): Give "possibly noisy" lesions
            ``ignore_flag=1``, so ``PackDetInputs`` puts them in
            ``ignored_instances`` instead of ``gt_instances``: the
            evaluation protocol removes them from the ground truth (set in
            the val / test datasets of the configs). False (the default)
            keeps them as ordinary lesions, as for training.
        recist_masks (bool): Give every instance a ``mask``, the polygon
            that :func:`recist_polygon` builds from its RECIST diameters
            (the annotation's ``recist``; DeepLesion has no masks), for a
            mask head (Mask R-CNN) with ``LoadAnnotations(with_mask=True)``
            anywhere in the pipeline: ``data_info`` also gets
            ``ori_shape`` (the slice's height and width), which
            ``LoadAnnotations`` reads, so it may precede
            ``LoadDeepLesionSlices``. A missing or malformed ``recist``
            fails when the dataset is built, naming the file, the image
            and the annotation id. Defaults to False. See
            ``docs/data_and_metrics.md`` (RECIST masks).
        recist_mask_points (int): Vertices per quarter of the outline
            (64 in all by default).
        **kwargs: Forwarded to :class:`CocoDataset`.
    """

    METAINFO = {
        'classes': ('lesion', ),
        'palette': [(220, 20, 60)],
    }
    converter = 'tools/dataset_converters/deeplesion_to_coco.py'
    converted_names = ('instances_train.json', 'instances_val.json',
                       'instances_test.json')

    def __init__(self, *args, noisy_as_ignored: bool = False,
                 recist_masks: bool = False, recist_mask_points: int = 16,
                 **kwargs) -> None:
        if recist_mask_points < 1:
            raise ValueError(f'recist_mask_points must be positive, got '
                             f'{recist_mask_points}')
        self.noisy_as_ignored = noisy_as_ignored
        self.recist_masks = recist_masks
        self.recist_mask_points = recist_mask_points
        super().__init__(*args, **kwargs)

    def _recist_mask(self, img_info: dict, ann: dict) -> List[List[float]]:
        """The mask (one polygon) of one annotation from its RECIST."""
        where = (f'{self.ann_file}: image {img_info.get("file_name")!r}, '
                 f'annotation {ann.get("id")}')
        if ann.get('recist') is None:
            raise KeyError(f'{where} has no \'recist\' (the RECIST diameters '
                           'that recist_masks=True builds the mask from); '
                           f'convert the data with {self.converter}')
        try:
            return [recist_polygon(ann['recist'], self.recist_mask_points)]
        except RecistError as e:
            raise RecistError(f'{where}: {e}') from None

    def _kept_annotations(self, img_info: dict, ann_info: List[dict]
                          ) -> List[dict]:
        """The annotations ``CocoDataset.parse_data_info`` turns into
        instances, in order (its skip rules, repeated here so the extra
        fields can be attached to the right instance)."""
        kept = []
        for ann in ann_info:
            if ann.get('ignore', False):
                continue
            x1, y1, w, h = ann['bbox']
            inter_w = max(0, min(x1 + w, img_info['width']) - max(x1, 0))
            inter_h = max(0, min(y1 + h, img_info['height']) - max(y1, 0))
            if inter_w * inter_h == 0:
                continue
            if ann['area'] <= 0 or w < 1 or h < 1:
                continue
            if ann['category_id'] not in self.cat_ids:
                continue
            kept.append(ann)
        return kept

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        """Parse one image: CocoDataset's fields plus the DeepLesion ones.

        Args:
            raw_data_info (dict): ``raw_img_info`` and ``raw_ann_info`` of
                one image.

        Returns:
            dict: The data info.

        Raises:
            KeyError: The json lacks a field the slice loader needs (it was
                not written by ``deeplesion_to_coco.py``), or, with
                ``recist_masks``, an annotation has no ``recist``.
            RecistError: With ``recist_masks``, a ``recist`` that gives no
                mask (see :func:`recist_polygon`).
        """
        data_info = super().parse_data_info(raw_data_info)
        img_info = raw_data_info['raw_img_info']
        for key in ('key_slice', 'slice_range', 'spacing'):
            if key not in img_info:
                raise KeyError(
                    f'{self.ann_file}: image {img_info.get("file_name")!r} '
                    f'has no {key!r}; convert the data with {self.converter}')
        for key in IMAGE_KEYS:
            if key in img_info:
                data_info[key] = img_info[key]
        kept = self._kept_annotations(img_info, raw_data_info['raw_ann_info'])
        assert len(kept) == len(data_info['instances'])
        for ann, instance in zip(kept, data_info['instances']):
            for key in INSTANCE_KEYS:
                if key in ann:
                    instance[key] = ann[key]
            if self.noisy_as_ignored and ann.get('noisy', 0):
                instance['ignore_flag'] = 1
            if self.recist_masks:
                instance['mask'] = self._recist_mask(img_info, ann)
        if self.recist_masks:
            data_info['ori_shape'] = (data_info['height'], data_info['width'])
        return data_info
