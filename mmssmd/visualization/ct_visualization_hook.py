"""mmdet's visualization hook for 16-bit CT slices (DeepLesion).

mmdet's ``DetVisualizationHook`` re-reads each image from ``img_path`` as
8-bit colour; a DeepLesion key slice is a 16-bit PNG (HU + 32768), which
OpenCV then scales to 8 bit by dividing by 256: the window [-1100, 1100] HU
becomes 8 grey levels. This hook reads the slice unchanged and draws it in
a CT window; 8-bit images are drawn as mmdet's hook draws them.
"""
import os.path as osp
from typing import Optional, Sequence

import mmcv
import numpy as np
from mmdet.engine.hooks import DetVisualizationHook
from mmdet.registry import HOOKS
from mmdet.structures import DetDataSample
from mmengine.fileio import get
from mmengine.runner import Runner
from mmengine.utils import mkdir_or_exist


def ct_window(hu: np.ndarray, window: Sequence[float]) -> np.ndarray:
    """HU (any shape) in the window ``(low, high)`` as uint8 grey."""
    low, high = float(window[0]), float(window[1])
    grey = np.clip((hu.astype(np.float32) - low) / (high - low), 0, 1)
    return (grey * 255).astype(np.uint8)


@HOOKS.register_module()
class CTWindowVisualizationHook(DetVisualizationHook):
    """``DetVisualizationHook`` that draws 16-bit slices in a CT window.

    An image read from ``img_path`` with more than 8 bits per value is taken
    as a CT slice stored as HU + ``hu_offset`` (DeepLesion's PNGs) and
    drawn as grey in ``hu_range``; other images are read as RGB, as the
    parent does. Test images are written as ``<folder>_<file name>``
    (DeepLesion's slice names repeat across series). ``tools/test.py
    --show-dir`` switches a config's visualization hook to this one when
    its test pipeline loads DeepLesion slices (with the loader's
    ``hu_range``).

    Args:
        hu_range (tuple[float, float]): The CT window in HU. Defaults to
            ``(-1100, 1100)``, the DeepLesion configs' loader range.
        hu_offset (int): Stored value of 0 HU. Defaults to 32768.
        **kwargs: Arguments of :class:`DetVisualizationHook`.
    """

    def __init__(self,
                 hu_range: Sequence[float] = (-1100., 1100.),
                 hu_offset: int = 32768,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if len(hu_range) != 2 or not hu_range[0] < hu_range[1]:
            raise ValueError(f'hu_range must be (low, high) with low < high, '
                             f'got {hu_range}')
        self.hu_range = (float(hu_range[0]), float(hu_range[1]))
        self.hu_offset = hu_offset

    def read_image(self, img_path: str) -> np.ndarray:
        """The image at ``img_path`` as RGB uint8 (CT slices windowed)."""
        img = mmcv.imfrombytes(get(img_path, backend_args=self.backend_args),
                               flag='unchanged')
        if img is None:
            raise ValueError(f'cannot read the image {img_path}')
        if img.dtype != np.uint8:
            if img.ndim == 3:
                img = img[..., img.shape[-1] // 2]
            return np.stack([ct_window(img.astype(np.float32) -
                                       self.hu_offset, self.hu_range)] * 3,
                            axis=-1)
        if img.ndim == 2:
            return np.stack([img] * 3, axis=-1)
        return mmcv.bgr2rgb(img[..., :3])

    def _draw(self, name: str, data_sample: DetDataSample, step: int,
              out_file: Optional[str] = None) -> None:
        self._visualizer.add_datasample(
            name, self.read_image(data_sample.img_path),
            data_sample=data_sample, show=self.show,
            wait_time=self.wait_time, pred_score_thr=self.score_thr,
            out_file=out_file, step=step)

    def after_val_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence[DetDataSample]) -> None:
        """Draw the first image of every ``interval``-th batch."""
        step = runner.iter + batch_idx
        if self.draw and step % self.interval == 0:
            name = osp.basename(outputs[0].img_path) if self.show \
                else 'val_img'
            self._draw(name, outputs[0], step)

    def after_test_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence[DetDataSample]) -> None:
        """Draw every test image (into ``test_out_dir`` when set)."""
        if self.draw is False:
            return
        if self.test_out_dir is not None:
            self.test_out_dir = osp.join(runner.work_dir, runner.timestamp,
                                         self.test_out_dir)
            mkdir_or_exist(self.test_out_dir)
        for data_sample in outputs:
            self._test_index += 1
            # <series>_<slice>.png: slice names repeat across series
            folder, name = osp.split(data_sample.img_path)
            name = f'{osp.basename(folder)}_{name}'
            out_file = None if self.test_out_dir is None else osp.join(
                self.test_out_dir, name)
            self._draw(name if self.show else 'test_img', data_sample,
                       self._test_index, out_file)
