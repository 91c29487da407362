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
# arguments of the resampling that ResizeToSpacing took over
RESIZE_ARGS = ('target_spacing', 'max_size', 'interpolation',
               'clip_object_border')


@TRANSFORMS.register_module()
class LoadDeepLesionSlices(BaseTransform):
    """Load a DeepLesion key slice and its neighbours, HU-windowed.

    Replaces ``LoadImageFromFile`` for DeepLesion's one-16-bit-PNG-per-slice
    volumes (``Images_png/<series>/<slice:03d>.png``, HU = value -
    ``hu_offset``): ``num_slices`` channels ``slice_gap_mm`` apart centred on
    the key slice (lowest first; linear interpolation between slices, a
    missing slice replaced by the nearest one toward the key slice), HU
    clipped to ``hu_range`` and mapped linearly onto ``out_range``. It does
    not resize: follow it with :class:`ResizeToSpacing`, which reads the
    ``pixel_spacing`` recorded here. Details: ``docs/data_and_metrics.md``
    (DeepLesion slices).

    Required keys: ``img_path`` (the key slice), ``key_slice``, ``spacing``
    (``[x, y, z]`` mm; from ``DeepLesionDataset``).

    Added keys: ``img`` ``(H, W, num_slices)`` float32, ``img_shape``,
    ``ori_shape``, ``pixel_spacing`` (``(x, y)`` mm per pixel),
    ``slice_sources`` (per channel the ``(slice index, weight)`` pairs read).

    Args:
        num_slices: Number of channels (odd).
        slice_gap_mm: Distance between neighbouring channels in mm.
        hu_offset: Stored value of 0 HU.
        hu_range: HU clipping window ``(low, high)``.
        out_range: Output values of the window's ends.
        backend_args: mmengine file backend arguments.
    """

    def __init__(self,
                 num_slices: int = 3,
                 slice_gap_mm: float = 2.0,
                 hu_offset: int = 32768,
                 hu_range: Sequence[float] = (-1100, 1100),
                 out_range: Sequence[float] = (-1.0, 1.0),
                 backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        moved = sorted(set(kwargs) & set(RESIZE_ARGS))
        if moved:
            args = ', '.join(f'{k}={kwargs[k]!r}' for k in moved)
            raise TypeError(
                f'LoadDeepLesionSlices no longer resizes: {", ".join(moved)} '
                f"moved to ResizeToSpacing; write dict(type="
                f"'LoadDeepLesionSlices', ...), dict(type='ResizeToSpacing', "
                f'{args})')
        if kwargs:
            raise TypeError(f'LoadDeepLesionSlices got unexpected arguments '
                            f'{sorted(kwargs)}')
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
        self.num_slices = num_slices
        self.slice_gap_mm = float(slice_gap_mm)
        self.hu_offset = hu_offset
        self.hu_range = (float(hu_range[0]), float(hu_range[1]))
        self.out_range = (float(out_range[0]), float(out_range[1]))
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

    def transform(self, results: dict) -> dict:
        """Load, combine and window the slices.

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

        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['pixel_spacing'] = (float(spacing[0]), float(spacing[1]))
        results['slice_sources'] = sources
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_slices={self.num_slices}, '
                f'slice_gap_mm={self.slice_gap_mm}, '
                f'hu_range={self.hu_range}, out_range={self.out_range})')
