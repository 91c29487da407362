import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmengine import fileio

# (slice index, weight) pairs whose weighted sum makes one channel
Sources = List[Tuple[int, float]]


@TRANSFORMS.register_module()
class LoadDeepLesionSlices(BaseTransform):
    """Load a DeepLesion key slice and its neighbours as a multi-channel image.

    DeepLesion stores a CT volume as one 16-bit PNG per slice
    (``Images_png/<series>/<slice:03d>.png``, HU = value - 32768). This
    transform replaces ``LoadImageFromFile`` (and, for the resampling,
    ``Resize``) for it; mmdet has no loader for slice stacks, HU or
    physical spacing.

    **Channels.** ``num_slices`` (odd) slices centred on the key slice, at
    ``slice_gap_mm`` apart: the default is ``[-2 mm, key, +2 mm]``, key slice
    in the middle channel, lower slice indices first. With a slice interval
    ``dz`` the slice at offset ``o`` mm lies at index ``key + o / dz``; when
    that is not an integer (e.g. ``dz`` = 5 mm: 0.4 slices), the channel is
    the linear interpolation of the two slices around it,
    ``(1 - f) * slice[floor] + f * slice[ceil]`` (in HU, before clipping),
    as 3DCE and MULAN do.

    **Missing slices and volume ends.** A slice file that is not on disk
    (a gap in the series, or past either end of the volume: DeepLesion only
    stores the slices of ``Slice_range``) is replaced by the nearest slice
    toward the key slice that is on disk, down to the key slice itself.
    When the slice interval is unknown (``spacing[2]`` missing, NaN or
    <= 0) every channel is the key slice.

    **Intensities.** HU are clipped to ``hu_range`` and mapped linearly onto
    ``out_range``: ``(-1100, 1100) -> (-1, 1)`` by default (the paper). The
    configs use ``out_range=(0, 255)`` so that mmdet's ``Pad`` / ``Rotate``
    (whose fill values must lie in [0, 255]) fill with air, and the model's
    data preprocessor maps [0, 255] back to [-1, 1] and standardises.

    **Resampling.** The slice is resized (bilinear) by
    ``spacing / target_spacing`` so one pixel is ``target_spacing`` mm
    (0.802 mm, DeepLesion's mean spacing); if the result would exceed
    ``max_size`` on its longer side, it is scaled down to fit (as 3DCE /
    MULAN cap the size), so it always fits a ``max_size`` square that a
    following ``Pad`` fills at the right / bottom. ``scale_factor``
    ``(w_new / w, h_new / h)`` is recorded like mmdet's ``Resize`` does,
    so predictions are mapped back to the original slice pixels by the
    detector (``rescale=True``), and ``gt_bboxes`` already loaded are
    rescaled: put ``LoadAnnotations`` *before* this transform to train on
    boxes in input coordinates and *after* it to evaluate against boxes in
    original coordinates (the analogue of mmdet's Resize). This transform
    must be the only resize of the pipeline (a later ``Resize`` would
    overwrite ``scale_factor``).

    Required keys: ``img_path`` (the key slice), ``key_slice``, ``spacing``
    (``[x, y, z]`` mm; from ``DeepLesionDataset``).

    Modified keys: ``gt_bboxes`` (optional).

    Added keys: ``img`` ``(H, W, num_slices)`` float32, ``img_shape``,
    ``ori_shape`` (the slice's size on disk), ``scale_factor``,
    ``keep_ratio``, ``slice_sources`` (per channel the list of
    ``(slice index, weight)`` that was read).

    Args:
        num_slices (int): Number of channels (odd). Defaults to 3.
        slice_gap_mm (float): Distance between neighbouring channels in mm.
            Defaults to 2.0.
        hu_offset (int): Stored value of 0 HU. Defaults to 32768.
        hu_range (tuple[float, float]): HU clipping window. Defaults to
            (-1100, 1100).
        out_range (tuple[float, float]): Output values of the window's ends.
            Defaults to (-1.0, 1.0).
        target_spacing (float, optional): In-plane spacing in mm to resample
            to; None keeps the slice's pixels. Defaults to 0.802.
        max_size (int, optional): Largest output side; None: no cap.
            Defaults to 512.
        interpolation (str): ``mmcv.imresize`` interpolation. Defaults to
            ``'bilinear'``.
        clip_object_border (bool): Clip rescaled boxes to the image, as
            mmdet's ``Resize``. Defaults to True.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
    """

    def __init__(self,
                 num_slices: int = 3,
                 slice_gap_mm: float = 2.0,
                 hu_offset: int = 32768,
                 hu_range: Sequence[float] = (-1100, 1100),
                 out_range: Sequence[float] = (-1.0, 1.0),
                 target_spacing: Optional[float] = 0.802,
                 max_size: Optional[int] = 512,
                 interpolation: str = 'bilinear',
                 clip_object_border: bool = True,
                 backend_args: Optional[dict] = None) -> None:
        if num_slices < 1 or num_slices % 2 != 1:
            raise ValueError(f'num_slices must be odd and positive, got '
                             f'{num_slices}')
        if not slice_gap_mm > 0:
            raise ValueError(f'slice_gap_mm must be positive, got '
                             f'{slice_gap_mm}')
        if len(hu_range) != 2 or not hu_range[0] < hu_range[1]:
            raise ValueError(f'hu_range must be (low, high) with low < high, '
                             f'got {hu_range}')
        if len(out_range) != 2 or out_range[0] == out_range[1]:
            raise ValueError(f'out_range must be two different values, got '
                             f'{out_range}')
        if target_spacing is not None and not target_spacing > 0:
            raise ValueError(f'target_spacing must be positive or None, got '
                             f'{target_spacing}')
        if max_size is not None and max_size < 1:
            raise ValueError(f'max_size must be positive or None, got '
                             f'{max_size}')
        self.num_slices = num_slices
        self.slice_gap_mm = float(slice_gap_mm)
        self.hu_offset = hu_offset
        self.hu_range = (float(hu_range[0]), float(hu_range[1]))
        self.out_range = (float(out_range[0]), float(out_range[1]))
        self.target_spacing = target_spacing
        self.max_size = max_size
        self.interpolation = interpolation
        self.clip_object_border = clip_object_border
        self.backend_args = backend_args

    # ------------------------------------------------------------------
    # which slices
    # ------------------------------------------------------------------
    def offsets_mm(self) -> List[float]:
        """Channel offsets from the key slice in mm, lowest first."""
        half = self.num_slices // 2
        return [(i - half) * self.slice_gap_mm
                for i in range(self.num_slices)]

    def _slice_path(self, folder: str, index: int) -> str:
        return osp.join(folder, f'{index:03d}.png')

    def _resolve(self, folder: str, key: int, index: int) -> int:
        """The slice read for ``index``: itself, or the nearest one toward
        the key slice that exists on disk."""
        delta = index - key
        while delta != 0 and not fileio.exists(
                self._slice_path(folder, key + delta),
                backend_args=self.backend_args):
            delta -= 1 if delta > 0 else -1
        return key + delta

    def channel_sources(self, folder: str, key: int,
                        interval: Optional[float]) -> List[Sources]:
        """Per channel, the slices and weights to combine.

        Args:
            folder (str): The series folder.
            key (int): Key slice index.
            interval (float, optional): Slice interval in mm; None, NaN or
                <= 0 means unknown.

        Returns:
            list[list[tuple[int, float]]]: ``num_slices`` lists of
            ``(slice index, weight)``, weights summing to 1.
        """
        known = interval is not None and math.isfinite(interval) and \
            interval > 0
        channels = []
        for offset in self.offsets_mm():
            if not known or offset == 0:
                channels.append([(key, 1.0)])
                continue
            pos = offset / interval
            if abs(pos - round(pos)) < 1e-6:  # on a slice (float noise)
                pairs = [(int(round(pos)), 1.0)]
            else:
                lo = math.floor(pos)
                frac = pos - lo
                pairs = [(lo, 1.0 - frac), (lo + 1, frac)]
            merged: Dict[int, float] = {}
            for rel, weight in pairs:
                index = self._resolve(folder, key, key + rel)
                merged[index] = merged.get(index, 0.0) + weight
            channels.append(sorted(merged.items()))
        return channels

    # ------------------------------------------------------------------
    # reading
    # ------------------------------------------------------------------
    def _read_hu(self, path: str) -> np.ndarray:
        """Read one slice as float32 HU, ``(H, W)``."""
        try:
            content = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'DeepLesion slice {path} not found') \
                from None
        img = mmcv.imfrombytes(content, flag='unchanged', backend='cv2')
        if img is None or img.dtype != np.uint16 or img.ndim != 2:
            raise ValueError(
                f'DeepLesion slice {path} is not a 16-bit grey PNG '
                f'(got {None if img is None else (img.dtype, img.shape)})')
        return img.astype(np.float32) - np.float32(self.hu_offset)

    def _output_size(self, width: int, height: int,
                     spacing: Sequence[float]) -> Tuple[int, int]:
        """``(w, h)`` after resampling and capping."""
        if self.target_spacing is None:
            new_w, new_h = float(width), float(height)
        else:
            sx, sy = float(spacing[0]), float(spacing[1])
            if not (math.isfinite(sx) and math.isfinite(sy) and sx > 0
                    and sy > 0):
                raise ValueError(f'in-plane spacing must be positive, got '
                                 f'{spacing[:2]}')
            new_w = width * sx / self.target_spacing
            new_h = height * sy / self.target_spacing
        if self.max_size is not None and max(new_w, new_h) > self.max_size:
            cap = self.max_size / max(new_w, new_h)
            new_w, new_h = new_w * cap, new_h * cap
        limit = self.max_size or max(new_w, new_h) + 1
        return (min(max(int(new_w + 0.5), 1), limit),
                min(max(int(new_h + 0.5), 1), limit))

    def transform(self, results: dict) -> dict:
        """Load, combine, window and resample the slices.

        Args:
            results (dict): With ``img_path``, ``key_slice``, ``spacing``.

        Returns:
            dict: ``results`` with the keys listed in the class docstring.
        """
        path = results['img_path']
        key = int(results['key_slice'])
        spacing = results['spacing']
        folder, name = osp.split(path)
        if name != f'{key:03d}.png':
            raise ValueError(f'img_path {path} is not the key slice '
                             f'{key:03d}.png of its folder')
        interval = spacing[2] if len(spacing) > 2 else None
        sources = self.channel_sources(folder, key, interval)

        # the key slice first: the neighbours must match its size
        cache: Dict[int, np.ndarray] = {key: self._read_hu(path)}
        channels = []
        for pairs in sources:
            channel = None
            for index, weight in pairs:
                if index not in cache:
                    neighbour = self._slice_path(folder, index)
                    cache[index] = self._read_hu(neighbour)
                    if cache[index].shape != cache[key].shape:
                        raise ValueError(
                            f'DeepLesion slice {neighbour} is '
                            f'{cache[index].shape[::-1]} (w, h), the key '
                            f'slice {path} {cache[key].shape[::-1]}')
                term = cache[index] * np.float32(weight)
                channel = term if channel is None else channel + term
            channels.append(channel)
        hu = np.stack(channels, axis=-1)

        lo, hi = self.hu_range
        out_lo, out_hi = self.out_range
        img = (np.clip(hu, lo, hi) - lo) * np.float32(
            (out_hi - out_lo) / (hi - lo)) + np.float32(out_lo)
        img = img.astype(np.float32)

        height, width = img.shape[:2]
        new_w, new_h = self._output_size(width, height, spacing)
        if (new_w, new_h) != (width, height):
            img = mmcv.imresize(
                img, (new_w, new_h), interpolation=self.interpolation,
                backend='cv2')
            if img.ndim == 2:  # cv2 drops a single channel
                img = img[..., None]
        scale_factor = (new_w / width, new_h / height)

        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = (height, width)
        results['scale_factor'] = scale_factor
        results['keep_ratio'] = True
        results['slice_sources'] = sources
        if results.get('gt_bboxes', None) is not None:
            results['gt_bboxes'].rescale_(scale_factor)
            if self.clip_object_border:
                results['gt_bboxes'].clip_(img.shape[:2])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_slices={self.num_slices}, '
                f'slice_gap_mm={self.slice_gap_mm}, '
                f'hu_range={self.hu_range}, out_range={self.out_range}, '
                f'target_spacing={self.target_spacing}, '
                f'max_size={self.max_size}, '
                f'interpolation={self.interpolation!r})')
