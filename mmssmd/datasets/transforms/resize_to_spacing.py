import math
from typing import Optional, Tuple

from mmdet.datasets.transforms import Resize
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ResizeToSpacing(Resize):
    """Resize so that one pixel is ``target_spacing`` mm, within ``max_size``.

    The output size is ``round(size * pixel_spacing / target_spacing)`` per
    axis (``pixel_spacing`` ``(x, y)`` in mm, recorded by
    ``LoadDeepLesionSlices``), scaled down to fit ``max_size`` on the longer
    side if it would exceed it (so a following ``Pad`` to a ``max_size``
    square only adds at the right / bottom). mmdet's :class:`Resize` then
    resizes the image (and any ``gt_bboxes`` / masks already loaded) to that
    exact size and records ``img_shape``, ``scale_factor``, ``keep_ratio``
    and ``homography_matrix``, so predictions map back to the original slice
    with ``rescale=True``. See ``docs/data_and_metrics.md`` (DeepLesion
    slices).

    Required keys: ``img``, ``pixel_spacing``.

    Modified keys: ``img``, ``img_shape``, ``gt_bboxes``, ``gt_masks``,
    ``gt_seg_map`` (those present).

    Added keys: ``scale``, ``scale_factor``, ``keep_ratio``,
    ``homography_matrix``.

    Args:
        target_spacing: In-plane spacing in mm to resample to; None keeps the
            pixels (only ``max_size`` applies).
        max_size: Largest output side; None for no cap.
        interpolation: ``mmcv.imresize`` interpolation.
        clip_object_border: Clip resized boxes to the image, as ``Resize``.
    """

    def __init__(self,
                 target_spacing: Optional[float] = 0.802,
                 max_size: Optional[int] = 512,
                 interpolation: str = 'bilinear',
                 clip_object_border: bool = True) -> None:
        if target_spacing is not None and not target_spacing > 0:
            raise ValueError(f'target_spacing must be positive or None, got '
                             f'{target_spacing}')
        if max_size is not None and max_size < 1:
            raise ValueError(f'max_size must be positive or None, got '
                             f'{max_size}')
        # the scale is set per image in ``transform``
        super().__init__(
            scale_factor=1.0, keep_ratio=False,
            clip_object_border=clip_object_border, backend='cv2',
            interpolation=interpolation)
        self.target_spacing = target_spacing
        self.max_size = max_size

    def output_size(self, width: int, height: int,
                    pixel_spacing: Tuple[float, float]) -> Tuple[int, int]:
        """``(w, h)`` of an image of ``width`` x ``height`` pixels.

        Raises:
            ValueError: ``pixel_spacing`` is not two positive numbers.
        """
        if self.target_spacing is None:
            new_w, new_h = float(width), float(height)
        else:
            sx, sy = (float(v) for v in pixel_spacing)
            if not (math.isfinite(sx) and math.isfinite(sy) and sx > 0
                    and sy > 0):
                raise ValueError(f'in-plane spacing must be positive, got '
                                 f'{tuple(pixel_spacing)}')
            new_w = width * sx / self.target_spacing
            new_h = height * sy / self.target_spacing
        if self.max_size is not None and max(new_w, new_h) > self.max_size:
            cap = self.max_size / max(new_w, new_h)
            new_w, new_h = new_w * cap, new_h * cap
        limit = self.max_size or max(new_w, new_h) + 1
        return (min(max(int(new_w + 0.5), 1), limit),
                min(max(int(new_h + 0.5), 1), limit))

    def transform(self, results: dict) -> dict:
        """Resize ``results`` to the spacing (see the class docstring)."""
        if 'pixel_spacing' not in results:
            raise KeyError(
                "ResizeToSpacing needs results['pixel_spacing'] ((x, y) mm "
                'per pixel), which LoadDeepLesionSlices records: put it '
                f'before ResizeToSpacing ({results.get("img_path")})')
        height, width = results['img'].shape[:2]
        try:
            self.scale = self.output_size(width, height,
                                          results['pixel_spacing'])
        except ValueError as e:
            raise ValueError(f'{results.get("img_path")}: {e}') from None
        single_channel = results['img'].ndim == 3 and \
            results['img'].shape[2] == 1
        try:
            results = super().transform(results)
        finally:
            self.scale = None
        if single_channel and results['img'].ndim == 2:
            results['img'] = results['img'][..., None]  # cv2 drops it
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(target_spacing='
                f'{self.target_spacing}, max_size={self.max_size}, '
                f'interpolation={self.interpolation!r}, '
                f'clip_object_border={self.clip_object_border})')
