"""Writing one synthetic sample in the DSB 2018 folder layout.

PNGs are written with Pillow (no OpenCV: its thread pool deadlocks in forked
workers once the parent has used it); the CSV rows use
:func:`mmssmd.utils.dsb_rle.rle_encode`.
"""
import hashlib
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Tuple

import numpy as np
from PIL import Image

from mmssmd.utils.dsb_rle import rle_encode
from .config import SyntheticNucleiConfig
from .image_model import SyntheticNucleiSample, synthesize_nuclei_image

__all__ = ['WrittenImage', 'write_sample', 'render_and_write']


class WrittenImage(NamedTuple):
    """What the writer reports for one image.

    Attributes:
        index: Index of the image in the set.
        csv_rows: Its ``ImageId,EncodedPixels`` lines, newline-terminated.
        num_nuclei: Number of masks written.
        size: ``(height, width)``.
        stats: The sample's pair counts (:class:`SyntheticNucleiSample`).
    """

    index: int
    csv_rows: List[str]
    num_nuclei: int
    size: Tuple[int, int]
    stats: Dict[str, int]


def mask_id(image_id: str, k: int) -> str:
    """File stem (64 hex digits) of mask ``k`` of ``image_id``."""
    return hashlib.sha256(f'{image_id}:mask:{k}'.encode()).hexdigest()


def _write_png(path: str, array: np.ndarray) -> None:
    """Write an 8-bit grey (H, W) or RGBA (H, W, 4) array as PNG."""
    Image.fromarray(np.ascontiguousarray(array, np.uint8)).save(
        path, format='PNG', compress_level=1)


def write_sample(sample: SyntheticNucleiSample, train_dir: str) -> List[str]:
    """Write one sample under ``train_dir/<ImageId>/``.

    Args:
        sample: The rendered image and masks.
        train_dir: The ``stage1_train`` folder.

    Returns:
        The sample's CSV lines, one per mask, in mask order.
    """
    image_dir = osp.join(train_dir, sample.image_id)
    os.makedirs(osp.join(image_dir, 'images'))
    os.makedirs(osp.join(image_dir, 'masks'))
    image = sample.image
    rgb = [image] * 3 if image.ndim == 2 else [image[..., c] for c in range(3)]
    rgba = np.dstack(rgb + [np.full(image.shape[:2], 255, np.uint8)])
    _write_png(osp.join(image_dir, 'images', f'{sample.image_id}.png'), rgba)
    rows = []
    for k, mask in enumerate(sample.masks):
        name = f'{mask_id(sample.image_id, k)}.png'
        _write_png(
            osp.join(image_dir, 'masks', name),
            mask.astype(np.uint8) * 255)
        rows.append(f'{sample.image_id},{rle_encode(mask)}\n')
    return rows


def render_and_write(seed: int, index: int, cfg: SyntheticNucleiConfig,
                     train_dir: str) -> WrittenImage:
    """Render image ``index`` of ``seed`` and write it (a pool task)."""
    sample = synthesize_nuclei_image(seed, index, cfg)
    rows = write_sample(sample, train_dir)
    h, w = sample.image.shape[:2]
    return WrittenImage(index, rows, len(sample.masks), (h, w), sample.stats)
