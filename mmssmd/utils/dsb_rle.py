"""The Kaggle DSB 2018 run-length encoding of instance masks.

``EncodedPixels`` is a space-separated list of ``start length`` pairs; starts
are 1-based and pixels are numbered top-to-bottom, then left-to-right
(column-major, Fortran order). An empty mask encodes as ``''``. The
generator (:mod:`mmssmd.testing.synthetic_dsb`) writes it and the converter
(``tools/dataset_converters/dsb2018_to_coco.py``) reads it. numpy only.
"""
from typing import Optional

import numpy as np

__all__ = ['rle_encode', 'rle_decode']


def rle_encode(mask: np.ndarray) -> str:
    """Encode a binary mask in the DSB 2018 run-length format.

    Args:
        mask: Binary mask, shape (H, W), any dtype (non-zero = foreground).

    Returns:
        The ``EncodedPixels`` string; ``''`` for an empty mask.
    """
    pixels = np.asarray(mask).astype(bool).flatten(order='F')
    padded = np.concatenate([[False], pixels, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, ends = edges[0::2], edges[1::2]
    runs = np.empty(2 * len(starts), dtype=np.int64)
    runs[0::2] = starts + 1
    runs[1::2] = ends - starts
    return ' '.join(map(str, runs.tolist()))


def rle_decode(encoded: str, height: int, width: int,
               where: Optional[str] = None) -> np.ndarray:
    """Decode a DSB 2018 run-length encoding into a boolean mask.

    Args:
        encoded: The ``EncodedPixels`` string.
        height: Image height.
        width: Image width.
        where: Where the string comes from (e.g. ``'<csv> line <n>'``),
            prefixed to error messages.

    Returns:
        Boolean mask of shape ``(height, width)``.

    Raises:
        ValueError: The encoding is malformed (odd number of tokens,
            non-integers, non-positive values, unsorted or overlapping runs,
            or a run past the end of the image).
    """
    prefix = f'{where}: ' if where else ''
    tokens = encoded.split()
    if len(tokens) % 2:
        raise ValueError(f'{prefix}malformed EncodedPixels, odd number of '
                         f'tokens ({len(tokens)})')
    try:
        values = [int(t) for t in tokens]
    except ValueError:
        raise ValueError(
            f'{prefix}malformed EncodedPixels, non-integer token') from None
    total = height * width
    flat = np.zeros(total, dtype=bool)
    prev_end = 0  # 0-based exclusive end of the previous run
    for start, length in zip(values[0::2], values[1::2]):
        run = f'run "{start} {length}"'
        if start < 1 or length < 1:
            raise ValueError(f'{prefix}malformed EncodedPixels, {run} needs '
                             'a start >= 1 and a length >= 1')
        begin = start - 1
        if begin < prev_end:
            raise ValueError(f'{prefix}malformed EncodedPixels, {run} is out '
                             'of order or overlaps the previous run')
        end = begin + length
        if end > total:
            raise ValueError(
                f'{prefix}malformed EncodedPixels, {run} runs past the end '
                f'of the {height}x{width} image ({total} pixels)')
        flat[begin:end] = True
        prev_end = end
    return flat.reshape(width, height).T
