# Copyright (c) mmssmd contributors. All rights reserved.
"""Synthetic fluorescence-nuclei images in the DSB 2018 folder format.

This is the package's *embedded default data*: a procedural stand-in for the
Kaggle Data Science Bowl 2018 ``stage1_train`` set, used by the demo and the
tests so that the whole pipeline (converter, training, evaluation) runs without
downloading anything. The output is written in exactly the real on-disk
format::

    <out_dir>/
        stage1_train/<ImageId>/images/<ImageId>.png  # RGBA, R=G=B, A=255
        stage1_train/<ImageId>/masks/<hash>.png      # 0/255, one per nucleus
        stage1_train_labels.csv                      # ImageId,EncodedPixels
        synthetic_dsb_meta.json                      # parameters + summary

``ImageId`` is the sha256 hex digest (64 characters, like the real data) of the
seed and the image index; a mask's file name is the sha256 of the ``ImageId``
and the nucleus index. ``EncodedPixels`` is the Kaggle RLE: space-separated
``start length`` pairs, 1-indexed, pixels numbered top-to-bottom then
left-to-right (column-major / Fortran order). An image without nuclei has an
empty ``masks`` folder and no CSV row.

Image model (per image, all drawn from an RNG seeded by ``(seed, index)``):

* nuclei are ellipses (geometric-mean radius within ``radius_range``, axis
  ratio 0.5..1, random orientation) whose radius is perturbed by a few random
  low-order Fourier harmonics, giving smooth irregular boundaries;
* sizes vary between images (a per-image typical radius) and within an image
  (log-normal spread around it); brightness varies likewise;
* a fraction ``cluster_prob`` of the nuclei is placed next to an already placed
  one, so that they touch (``1 - overlap_prob``) or visibly overlap
  (``overlap_prob``, by up to ``max_overlap_frac`` of either area);
* intensity: a flat dome profile times chromatin-like texture (blurred noise),
  anti-aliased edges, overlapping nuclei add up (fluorescence is additive),
  plus a faint out-of-focus haze;
* optics and camera: Gaussian PSF blur, a background level, a low-frequency
  uneven illumination field, Poisson shot noise and Gaussian read noise, then
  an 8-bit gain.

**Overlap labelling decision.** Like real instance labels, an overlapped pixel
belongs to the *top* (later placed) nucleus only, so by default masks do not
overlap: the lower nucleus loses those pixels (a placement is rejected if that
would leave it with less than ``1 - max_overlap_frac`` of its area or split it
in two). To exercise a converter's overlap report, each visibly overlapping
placement is, with probability ``mask_overlap_prob`` (default 0.03), labelled
like the errors of the public DSB labels instead: both masks keep the shared
pixels, so the masks truly overlap. The summary counts these pairs.

Determinism: every image depends only on ``(seed, index)`` and the generator's
parameters, so the output is byte-identical for any number of ``workers`` and
between runs (on the same numpy/scipy/zlib build).

Output safety: the set is written to ``<out_dir>.tmp-<pid>`` and renamed into
place at the end; an exception removes the temporary folder. A process killed
by a signal may leave that folder behind (never a partial ``out_dir``); it can
be deleted. Workers (``workers > 1``) are forked and use numpy, scipy and zlib
only: OpenCV is avoided on purpose, its thread pool deadlocks in forked
children once the parent has used it.
"""
import hashlib
import json
import multiprocessing
import os
import os.path as osp
import shutil
import struct
import time
import zlib
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy import ndimage

__all__ = [
    'SyntheticNucleiConfig', 'SyntheticNucleiSample',
    'synthesize_nuclei_image', 'generate_synthetic_dsb', 'rle_encode',
    'make_image_id', 'encode_png', 'DSB_FLUORESCENCE_SIZES', 'STYLES'
]

#: Name of the CSV file written next to ``stage1_train``.
LABELS_CSV = 'stage1_train_labels.csv'
#: Name of the JSON file with the generator parameters and the summary.
META_JSON = 'synthetic_dsb_meta.json'
#: Image sizes (height, width) of the fluorescence part of the real DSB 2018
#: stage-1 training set, usable as ``image_sizes``.
DSB_FLUORESCENCE_SIZES = ((256, 256), (256, 320), (360, 360))
#: Area ``num_nuclei_range`` refers to; larger images get proportionally more.
_REFERENCE_AREA = 256 * 256
_EIGHT = np.ones((3, 3), bool)  # 8-connectivity
#: Largest shared area (fraction) of a nucleus not placed to overlap.
_GRAZE_FRAC = 0.08
#: Imaging styles of :class:`SyntheticNucleiConfig`.
STYLES = ('fluorescence', 'brightfield', 'histology')
#: Optical densities (R, G, B) of haematoxylin and eosin per unit of stain
#: (Ruifrok & Johnston, 2001), jittered per image.
_HAEMATOXYLIN = np.array([0.65, 0.70, 0.29], np.float32)
_EOSIN = np.array([0.07, 0.99, 0.11], np.float32)


@dataclass(frozen=True)
class SyntheticNucleiConfig:
    """Parameters of the synthetic nuclei generator.

    Args:
        image_size: ``(height, width)`` of every image when ``image_sizes`` is
            None.
        image_sizes: Optional list of ``(height, width)``; each image draws its
            size uniformly from it (e.g. :data:`DSB_FLUORESCENCE_SIZES`).
        num_nuclei_range: Inclusive ``(min, max)`` number of nuclei an image
            tries to place, for a 256x256 image; scaled by the image area.
            Fewer may be placed when the image is crowded.
        radius_range: Inclusive ``(min, max)`` geometric-mean nucleus radius
            in pixels.
        cluster_prob: Probability that a nucleus is placed next to an existing
            one (touching or overlapping) instead of uniformly at random.
        overlap_prob: Probability that a clustered nucleus is placed to
            visibly overlap its neighbour rather than just touch it.
        max_overlap_frac: Largest shared area, as a fraction of either
            nucleus' area, a placement may create.
        mask_overlap_prob: Probability that a visibly overlapping placement is
            labelled with truly overlapping masks (label-error style) instead
            of giving the shared pixels to the top nucleus.
        empty_fraction: Probability that an image contains no nuclei.
        irregularity: Scale of the boundary perturbation (relative radius).
        styles: Imaging styles an image draws uniformly from (see
            :data:`STYLES`): ``'fluorescence'`` (bright nuclei on a dark
            background, grey), ``'brightfield'`` (dark absorbing nuclei on a
            bright background, grey) and ``'histology'`` (H&E-like colour:
            haematoxylin nuclei on eosin-stained tissue, per-image stain
            variation). Like the real DSB 2018 set, a mixture is much harder
            to learn from a few labeled images than one style.
        debris_range: Inclusive ``(min, max)`` number of small unlabeled
            specks (radius 1-2.5 px, below the nucleus sizes) per 256x256
            image: false-positive bait. ``(0, 0)`` (default) draws none.
        min_mask_area: Smallest number of mask pixels (after clipping to the
            image and resolving overlaps) a nucleus may have.
    """

    image_size: Tuple[int, int] = (256, 256)
    image_sizes: Optional[Tuple[Tuple[int, int], ...]] = None
    num_nuclei_range: Tuple[int, int] = (5, 60)
    radius_range: Tuple[float, float] = (4.0, 16.0)
    cluster_prob: float = 0.5
    overlap_prob: float = 0.3
    max_overlap_frac: float = 0.3
    mask_overlap_prob: float = 0.03
    empty_fraction: float = 0.0
    irregularity: float = 0.06
    min_mask_area: int = 12
    styles: Tuple[str, ...] = ('fluorescence', )
    debris_range: Tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        bad = [st for st in self.styles if st not in STYLES]
        if not self.styles or bad:
            raise ValueError(f'styles must be a non-empty subset of {STYLES},'
                             f' got {self.styles}')
        dlo, dhi = self.debris_range
        if not 0 <= dlo <= dhi:
            raise ValueError(f'bad debris_range {self.debris_range}')
        sizes = [self.image_size] + list(self.image_sizes or [])
        for size in sizes:
            if len(size) != 2 or min(size) < 32:
                raise ValueError(f'image sizes must be (height, width) with '
                                 f'both >= 32, got {size}')
        lo, hi = self.num_nuclei_range
        if not 0 <= lo <= hi:
            raise ValueError(f'bad num_nuclei_range {self.num_nuclei_range}')
        rlo, rhi = self.radius_range
        if not 1.0 <= rlo <= rhi:
            raise ValueError(f'bad radius_range {self.radius_range}')
        for name in ('cluster_prob', 'overlap_prob', 'mask_overlap_prob',
                     'empty_fraction'):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f'{name} must be in [0, 1]')
        if not 0.0 < self.max_overlap_frac < 1.0:
            raise ValueError('max_overlap_frac must be in (0, 1)')
        if self.irregularity < 0 or self.min_mask_area < 1:
            raise ValueError('irregularity must be >= 0, min_mask_area >= 1')


@dataclass
class SyntheticNucleiSample:
    """One synthetic image and its instance labels.

    Attributes:
        image_id: 64-character hex id (sha256 of seed and index).
        image: Grey image, shape (H, W), or colour image (R, G, B), shape
            (H, W, 3) (``'histology'`` style), uint8.
        masks: Instance masks, shape (N, H, W), bool; N may be 0.
        stats: Counts: ``visible_overlap_pairs`` (nuclei whose shapes
            overlap in the image), ``mask_overlap_pairs`` (pairs of masks
            sharing pixels), ``touching_pairs`` (mask pairs that are
            8-adjacent or overlap).
    """

    image_id: str
    image: np.ndarray
    masks: np.ndarray
    stats: Dict[str, int] = field(default_factory=dict)


@dataclass
class _Nucleus:
    """A placed nucleus: full shape and current label, cropped to a box."""

    y0: int
    x0: int
    shape: np.ndarray  # (h, w) bool, the visible shape (clipped to image)
    label: np.ndarray  # (h, w) bool, its instance mask so far
    area: int  # pixels of ``shape``
    alpha: np.ndarray  # (h, w) float32 anti-aliased coverage * dome profile
    brightness: float
    center: Tuple[float, float]
    axes: Tuple[float, float]
    theta: float
    y1: int = 0  # box end (exclusive), set from ``shape``
    x1: int = 0

    def __post_init__(self) -> None:
        self.y1 = self.y0 + self.shape.shape[0]
        self.x1 = self.x0 + self.shape.shape[1]


def make_image_id(seed: int, index: int) -> str:
    """Deterministic 64-hex-digit ImageId of image ``index`` of ``seed``."""
    return hashlib.sha256(
        f'mmssmd-synthetic-dsb:{seed}:{index}'.encode()).hexdigest()


def _mask_id(image_id: str, k: int) -> str:
    return hashlib.sha256(f'{image_id}:mask:{k}'.encode()).hexdigest()


def rle_encode(mask: np.ndarray) -> str:
    """Encode a binary mask in the DSB 2018 run-length format.

    Args:
        mask: Binary mask, shape (H, W), any dtype (non-zero = foreground).

    Returns:
        Space-separated ``start length`` pairs, starts 1-indexed, pixels
        numbered column-major (top-to-bottom, then left-to-right). An empty
        mask gives an empty string.
    """
    pixels = np.asarray(mask).astype(bool).flatten(order='F')
    padded = np.concatenate([[False], pixels, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, ends = edges[0::2], edges[1::2]
    runs = np.empty(2 * len(starts), dtype=np.int64)
    runs[0::2] = starts + 1
    runs[1::2] = ends - starts
    return ' '.join(map(str, runs.tolist()))


def _smooth_field(rng: np.random.Generator, shape: Tuple[int, int],
                  n_waves: int = 3) -> np.ndarray:
    """Low-frequency random field in about [-1, 1], shape (H, W) float32.

    A sum of ``n_waves`` random plane waves of at most 1.5 cycles per image.
    """
    height, width = shape
    yy = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    xx = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    field = np.zeros(shape, np.float32)
    for _ in range(n_waves):
        fy, fx = rng.uniform(-1.5, 1.5, 2)
        phase = rng.uniform(0.0, 2 * np.pi)
        ay = 2 * np.pi * fy * yy + phase
        ax = 2 * np.pi * fx * xx
        # cos(ay + ax), separably
        field += np.cos(ay) * np.cos(ax) - np.sin(ay) * np.sin(ax)
    return field / np.float32(np.sqrt(n_waves))


def _gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return ndimage.gaussian_filter(image, sigma, mode='mirror', truncate=3.0)


def _box_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Approximate Gaussian blur of a large ``sigma`` by three box filters."""
    size = max(int(round(np.sqrt(4.0 * sigma**2 + 1.0))), 1)
    for _ in range(3):
        image = ndimage.uniform_filter(image, size, mode='mirror')
    return image


def _radius_along(axes: Tuple[float, float], theta: float,
                  direction: float) -> float:
    """Distance from an ellipse's centre to its boundary along a direction."""
    a, b = axes
    t = direction - theta
    return a * b / float(np.hypot(b * np.cos(t), a * np.sin(t)))


def _rasterise(rng: np.random.Generator, cfg: SyntheticNucleiConfig,
               height: int, width: int, center: Tuple[float, float],
               axes: Tuple[float, float], theta: float,
               brightness: float) -> Optional[_Nucleus]:
    """Draw one irregular ellipse into a crop; None if it misses the image."""
    cy, cx = center
    a, b = axes
    n_harm = 4  # harmonics 2..5
    ks = np.arange(2, 2 + n_harm, dtype=np.float32)
    amps = (rng.standard_normal(n_harm) * cfg.irregularity /
            ks**0.7).astype(np.float32)
    phases = rng.uniform(0, 2 * np.pi, n_harm).astype(np.float32)
    dome_k = rng.uniform(0.0, 0.35)
    reach = max(a, b) * (1.0 + float(np.abs(amps).sum())) + 2.0
    y0 = max(int(np.floor(cy - reach)), 0)
    y1 = min(int(np.ceil(cy + reach)) + 1, height)
    x0 = max(int(np.floor(cx - reach)), 0)
    x1 = min(int(np.ceil(cx + reach)) + 1, width)
    if y1 <= y0 or x1 <= x0:
        return None
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] - np.float32(cy)
    dx = np.arange(x0, x1, dtype=np.float32)[None, :] - np.float32(cx)
    c, s = np.float32(np.cos(theta)), np.float32(np.sin(theta))
    un = (dx * c + dy * s) / np.float32(a)
    vn = (dy * c - dx * s) / np.float32(b)
    rho = np.hypot(un, vn)
    phi = np.arctan2(vn, un)
    boundary = 1.0 + (amps[:, None, None] *
                      np.cos(ks[:, None, None] * phi[None] +
                             phases[:, None, None])).sum(0)
    boundary = np.maximum(boundary, 0.5)
    # radial distance to the boundary, in pixels (positive inside)
    local_r = np.hypot(
        np.float32(a) * np.cos(phi),
        np.float32(b) * np.sin(phi))
    dist = (boundary - rho) * local_r
    shape = dist >= 0
    area = int(shape.sum())
    if area == 0:
        return None
    coverage = np.clip(dist + 0.5, 0.0, 1.0)
    dome = np.clip(1.0 - dome_k * (rho / boundary)**2, 0.0, 1.0)
    return _Nucleus(
        y0=y0, x0=x0, shape=shape, label=shape.copy(), area=area,
        alpha=(coverage * dome).astype(np.float32), brightness=brightness,
        center=center, axes=axes, theta=theta)


def _intersection(p: _Nucleus, q: _Nucleus):
    """Slices of ``p``'s and ``q``'s crops over their common box, or None."""
    y0, y1 = max(p.y0, q.y0), min(p.y1, q.y1)
    x0, x1 = max(p.x0, q.x0), min(p.x1, q.x1)
    if y1 <= y0 or x1 <= x0:
        return None
    ps = (slice(y0 - p.y0, y1 - p.y0), slice(x0 - p.x0, x1 - p.x0))
    qs = (slice(y0 - q.y0, y1 - q.y0), slice(x0 - q.x0, x1 - q.x0))
    return ps, qs


def _is_connected(mask: np.ndarray) -> bool:
    return ndimage.label(mask, structure=_EIGHT)[1] == 1


def _try_add(cand: _Nucleus, placed: List[_Nucleus],
             cfg: SyntheticNucleiConfig, max_frac: float,
             label_error: bool) -> Optional[int]:
    """Place ``cand`` on top of ``placed`` if the overlap rules allow it.

    ``max_frac`` bounds the shared area as a fraction of either nucleus.

    Returns:
        The number of placed nuclei it visibly overlaps, or None if rejected
        (``placed`` is then unchanged).
    """
    if cand.area < cfg.min_mask_area:
        return None
    full_area = np.pi * cand.axes[0] * cand.axes[1]
    if cand.area < 0.25 * full_area:  # mostly outside the image
        return None
    updates = []
    for other in placed:
        sl = _intersection(cand, other)
        if sl is None:
            continue
        cs, os_ = sl
        shared = cand.shape[cs] & other.shape[os_]
        inter = int(shared.sum())
        if inter == 0:
            continue
        if inter > max_frac * min(cand.area, other.area):
            return None
        updates.append((other, os_, shared))
    if not label_error:
        # the top (new) nucleus takes the shared pixels
        new_labels = []
        for other, os_, shared in updates:
            label = other.label.copy()
            label[os_] &= ~shared
            kept = int(label.sum())
            if (kept < cfg.min_mask_area
                    or kept < (1.0 - max_frac) * other.area
                    or not _is_connected(label)):
                return None
            new_labels.append(label)
        for (other, _, _), label in zip(updates, new_labels):
            other.label = label
    placed.append(cand)
    return len(updates)


def _pair_relations(placed: List[_Nucleus]) -> Tuple[int, int]:
    """Count (touching-or-overlapping, overlapping) pairs of final masks."""
    touching = overlapping = 0
    for i, p in enumerate(placed):
        for q in placed[i + 1:]:
            if (p.y0 > q.y1 or q.y0 > p.y1 or p.x0 > q.x1 or q.x0 > p.x1):
                continue  # boxes more than one pixel apart
            y0, x0 = min(p.y0, q.y0) - 1, min(p.x0, q.x0) - 1
            h = max(p.y1, q.y1) + 1 - y0
            w = max(p.x1, q.x1) + 1 - x0
            pm = np.zeros((h, w), bool)
            qm = np.zeros((h, w), bool)
            pm[p.y0 - y0:p.y1 - y0, p.x0 - x0:p.x1 - x0] = p.label
            qm[q.y0 - y0:q.y1 - y0, q.x0 - x0:q.x1 - x0] = q.label
            if (pm & qm).any():
                overlapping += 1
                touching += 1
            elif (ndimage.binary_dilation(pm, _EIGHT) & qm).any():
                touching += 1
    return touching, overlapping


def synthesize_nuclei_image(
        seed: int,
        index: int,
        cfg: Optional[SyntheticNucleiConfig] = None) -> SyntheticNucleiSample:
    """Render synthetic image ``index`` of the set generated with ``seed``.

    The result depends only on ``(seed, index)`` and ``cfg``.

    Args:
        seed: Seed of the whole set.
        index: Index of the image within the set.
        cfg: Generator parameters; defaults to :class:`SyntheticNucleiConfig`.

    Returns:
        The image (H, W) uint8, its masks (N, H, W) bool and counts.
    """
    cfg = cfg or SyntheticNucleiConfig()
    rng = np.random.default_rng(
        np.random.SeedSequence([int(seed), int(index), 0x55D]))
    if cfg.image_sizes:
        pick = int(rng.integers(len(cfg.image_sizes)))
        height, width = cfg.image_sizes[pick]
    else:
        height, width = cfg.image_size
    height, width = int(height), int(width)

    # ---- nuclei layout ----------------------------------------------------
    lo, hi = cfg.num_nuclei_range
    area_scale = height * width / _REFERENCE_AREA
    n_target = int(round(rng.integers(lo, hi + 1) * area_scale))
    if rng.random() < cfg.empty_fraction:
        n_target = 0
    rlo, rhi = cfg.radius_range
    typical_r = float(np.exp(rng.uniform(np.log(rlo), np.log(rhi))))
    typical_b = rng.uniform(0.45, 0.9)
    placed: List[_Nucleus] = []
    visible_overlaps = 0
    attempts = 0
    while len(placed) < n_target and attempts < 25 * n_target:
        attempts += 1
        r = float(np.clip(typical_r * np.exp(rng.normal(0.0, 0.2)), rlo, rhi))
        q = rng.uniform(0.5, 1.0)  # axis ratio b / a
        axes = (r / np.sqrt(q), r * np.sqrt(q))
        theta = float(rng.uniform(0.0, np.pi))
        brightness = float(
            np.clip(typical_b * np.exp(rng.normal(0.0, 0.25)), 0.15, 1.2))
        overlap_mode = False
        if placed and rng.random() < cfg.cluster_prob:
            parent = placed[int(rng.integers(len(placed)))]
            direction = float(rng.uniform(0.0, 2 * np.pi))
            overlap_mode = rng.random() < cfg.overlap_prob
            factor = (rng.uniform(0.55, 0.85)
                      if overlap_mode else rng.uniform(0.97, 1.08))
            dist = factor * (
                _radius_along(parent.axes, parent.theta, direction) +
                _radius_along(axes, theta, direction + np.pi))
            center = (parent.center[0] + dist * np.sin(direction),
                      parent.center[1] + dist * np.cos(direction))
        else:
            center = (float(rng.uniform(-2.0, height + 2.0)),
                      float(rng.uniform(-2.0, width + 2.0)))
        label_error = overlap_mode and rng.random() < cfg.mask_overlap_prob
        cand = _rasterise(rng, cfg, height, width, center, axes, theta,
                          brightness)
        if cand is None:
            continue
        # touching / random placements may only graze their neighbours
        max_frac = (cfg.max_overlap_frac if overlap_mode else min(
            cfg.max_overlap_frac, _GRAZE_FRAC))
        n_over = _try_add(cand, placed, cfg, max_frac, label_error)
        if n_over is not None:
            visible_overlaps += n_over

    # ---- fluorescence signal ----------------------------------------------
    signal = np.zeros((height, width), np.float32)
    if placed:
        tex_sigma = rng.uniform(0.7, 1.5)
        texture = _gaussian_blur(
            rng.standard_normal((height, width)).astype(np.float32),
            tex_sigma)
        texture /= max(float(texture.std()), 1e-6)
        tex_amp = rng.uniform(0.08, 0.3)
        texture = np.maximum(1.0 + tex_amp * texture, 0.2)
        for nuc in placed:
            ys, xs = slice(nuc.y0, nuc.y1), slice(nuc.x0, nuc.x1)
            signal[ys, xs] += nuc.brightness * nuc.alpha * texture[ys, xs]
        haze_w = rng.uniform(0.0, 0.15)
        signal += haze_w * _box_blur(signal, rng.uniform(4.0, 10.0))
    signal = _gaussian_blur(signal, rng.uniform(0.6, 1.4))  # PSF

    # ---- background, illumination, camera --------------------------------
    yy = np.linspace(-0.5, 0.5, height, dtype=np.float32)[:, None]
    xx = np.linspace(-0.5, 0.5, width, dtype=np.float32)[None, :]
    gy, gx = rng.uniform(-0.5, 0.5, 2)
    illum = (1.0 + gy * yy + gx * xx +
             rng.uniform(0.0, 0.25) * _smooth_field(rng, (height, width)))
    illum = np.maximum(illum, 0.3)
    bg_level = rng.uniform(0.01, 0.08)
    background = bg_level * (1.0 + 0.3 * _smooth_field(rng,
                                                       (height, width)))
    # style, debris and stains come from their own stream, so that the
    # default (one style, no debris) renders exactly as before
    style_rng = np.random.default_rng(
        np.random.SeedSequence([int(seed), int(index), 0x57E]))
    style = (cfg.styles[int(style_rng.integers(len(cfg.styles)))]
             if len(cfg.styles) > 1 else cfg.styles[0])
    dlo, dhi = cfg.debris_range
    if dhi > 0:
        n_debris = int(round(style_rng.integers(dlo, dhi + 1) * area_scale))
        signal += _gaussian_blur(
            _debris(style_rng, (height, width), n_debris), 0.8)
    if style == 'fluorescence':
        expected = np.maximum((signal + background) * illum, 0.0)
    elif style == 'brightfield':
        # transmitted light, absorbed by the stained nuclei
        absorb = style_rng.uniform(0.6, 1.8)
        expected = (style_rng.uniform(0.55, 0.85) * illum *
                    np.exp(-absorb * signal) + 0.2 * background)
    else:  # histology: Beer-Lambert with haematoxylin and eosin
        expected = _histology(style_rng, signal, background, illum)
    photons = float(np.exp(rng.uniform(np.log(40.0), np.log(400.0))))
    noisy = rng.poisson(expected * photons).astype(np.float32) / photons
    noisy += rng.normal(0.0, rng.uniform(0.003, 0.015),
                        size=noisy.shape).astype(np.float32)
    gain = rng.uniform(110.0, 230.0)
    if style != 'fluorescence':
        gain = 255.0 * style_rng.uniform(0.85, 1.0)  # a bright background
    image = np.clip(np.rint(noisy * gain), 0, 255).astype(np.uint8)

    masks = np.zeros((len(placed), height, width), bool)
    for k, nuc in enumerate(placed):
        masks[k, nuc.y0:nuc.y1, nuc.x0:nuc.x1] = nuc.label
    touching, mask_overlaps = _pair_relations(placed)
    stats = dict(
        visible_overlap_pairs=visible_overlaps,
        mask_overlap_pairs=mask_overlaps,
        touching_pairs=touching)
    return SyntheticNucleiSample(
        image_id=make_image_id(seed, index),
        image=image,
        masks=masks,
        stats=stats)


def _debris(rng: np.random.Generator, shape: Tuple[int, int],
            count: int) -> np.ndarray:
    """``count`` small bright specks (radius 1-2.5 px), unlabeled."""
    height, width = shape
    field = np.zeros(shape, np.float32)
    for _ in range(count):
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        r = rng.uniform(1.0, 2.5)
        y0, y1 = max(int(cy - r - 1), 0), min(int(cy + r + 2), height)
        x0, x1 = max(int(cx - r - 1), 0), min(int(cx + r + 2), width)
        dy = np.arange(y0, y1, dtype=np.float32)[:, None] - cy
        dx = np.arange(x0, x1, dtype=np.float32)[None, :] - cx
        field[y0:y1, x0:x1] += rng.uniform(0.4, 1.4) * np.clip(
            r + 0.5 - np.hypot(dy, dx), 0.0, 1.0)
    return field


def _histology(rng: np.random.Generator, signal: np.ndarray,
               background: np.ndarray, illum: np.ndarray) -> np.ndarray:
    """Transmitted RGB intensity in [0, 1] of an H&E-like slide, (H, W, 3).

    Nuclei take haematoxylin in proportion to ``signal``; the tissue around
    them takes eosin (a smooth field plus a halo of cytoplasm around the
    nuclei); stain vectors and amounts vary per image, as between labs.
    """
    shape = signal.shape
    h_vec = _HAEMATOXYLIN * rng.uniform(0.8, 1.2, 3).astype(np.float32)
    e_vec = _EOSIN * rng.uniform(0.8, 1.2, 3).astype(np.float32)
    cytoplasm = _box_blur(signal, rng.uniform(3.0, 6.0))
    cytoplasm /= max(float(cytoplasm.max()), 1e-6)
    eosin = (rng.uniform(0.1, 0.35) *
             (1.0 + 0.5 * _smooth_field(rng, shape, 5)) +
             rng.uniform(0.1, 0.5) * cytoplasm + 2.0 * background)
    od = (rng.uniform(0.8, 2.0) * signal[..., None] * h_vec +
          np.maximum(eosin, 0.0)[..., None] * e_vec)
    return (illum[..., None] * np.exp(-od)).astype(np.float32)


def encode_png(array: np.ndarray, level: int = 1) -> bytes:
    """Encode an 8-bit image as PNG (deterministic, no filtering, zlib).

    About 8x faster than ``cv2.imencode`` for the mostly-empty masks (and
    free of OpenCV's thread pool, which hangs in forked workers); any PNG
    reader decodes it (colour type 0 = grey, 6 = RGBA, bit depth 8).

    Args:
        array: uint8 array, shape (H, W) (grey) or (H, W, 4) (RGBA order).
        level: zlib compression level.

    Returns:
        The PNG file content.
    """
    array = np.ascontiguousarray(array, dtype=np.uint8)
    height, width = array.shape[:2]
    channels = 1 if array.ndim == 2 else array.shape[2]
    if channels not in (1, 4):
        raise ValueError(f'expected (H, W) or (H, W, 4), got {array.shape}')
    raw = np.zeros((height, 1 + width * channels), np.uint8)  # filter 0
    raw[:, 1:] = array.reshape(height, width * channels)

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack('>I', len(data)) + tag + data + struct.pack(
            '>I', crc)

    header = struct.pack('>IIBBBBB', width, height, 8,
                         0 if channels == 1 else 6, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) +
            chunk(b'IDAT', zlib.compress(raw.tobytes(), level)) +
            chunk(b'IEND', b''))


def _write_png(path: str, array: np.ndarray) -> None:
    with open(path, 'wb') as f:
        f.write(encode_png(array))


def _write_sample(sample: SyntheticNucleiSample, train_dir: str) -> List[str]:
    """Write one sample in the DSB layout; return its CSV lines."""
    image_dir = osp.join(train_dir, sample.image_id)
    os.makedirs(osp.join(image_dir, 'images'))
    os.makedirs(osp.join(image_dir, 'masks'))
    image = sample.image
    rgb = [image] * 3 if image.ndim == 2 else [image[..., c] for c in range(3)]
    rgba = np.dstack(rgb + [np.full(image.shape[:2], 255, np.uint8)])
    _write_png(osp.join(image_dir, 'images', f'{sample.image_id}.png'), rgba)
    rows = []
    for k, mask in enumerate(sample.masks):
        name = f'{_mask_id(sample.image_id, k)}.png'
        _write_png(
            osp.join(image_dir, 'masks', name),
            mask.astype(np.uint8) * 255)
        rows.append(f'{sample.image_id},{rle_encode(mask)}\n')
    return rows


def _worker(task):
    seed, index, cfg, train_dir = task
    sample = synthesize_nuclei_image(seed, index, cfg)
    rows = _write_sample(sample, train_dir)
    h, w = sample.image.shape[:2]
    return index, rows, len(sample.masks), (h, w), sample.stats


def generate_synthetic_dsb(out_dir: str,
                           num_images: int = 200,
                           seed: int = 0,
                           image_size: Tuple[int, int] = (256, 256),
                           image_sizes: Optional[Sequence[Tuple[int,
                                                                int]]] = None,
                           num_nuclei_range: Tuple[int, int] = (5, 60),
                           radius_range: Tuple[float, float] = (4.0, 16.0),
                           cluster_prob: float = 0.5,
                           overlap_prob: float = 0.3,
                           max_overlap_frac: float = 0.3,
                           mask_overlap_prob: float = 0.03,
                           empty_fraction: float = 0.0,
                           irregularity: float = 0.06,
                           min_mask_area: int = 12,
                           styles: Sequence[str] = ('fluorescence', ),
                           debris_range: Tuple[int, int] = (0, 0),
                           workers: int = 1,
                           overwrite: bool = False,
                           show_progress: bool = True) -> Dict:
    """Generate a synthetic DSB-2018-style nuclei dataset on disk.

    The set is built in ``<out_dir>.tmp-<pid>`` and moved to ``out_dir`` only
    when complete, so an interrupted run leaves no half-written dataset. See
    the module docstring for the layout and the image model; the parameters
    other than the ones below are those of :class:`SyntheticNucleiConfig`.

    Args:
        out_dir: Dataset root; ``stage1_train/`` and
            ``stage1_train_labels.csv`` are created in it.
        num_images: Number of images, >= 1.
        seed: Seed; the same seed gives byte-identical files.
        image_size: ``(height, width)`` of the images.
        image_sizes: If given, each image's ``(height, width)`` is drawn from
            this list instead (e.g. :data:`DSB_FLUORESCENCE_SIZES`).
        workers: Worker processes (1 = in-process). Does not change the output.
        overwrite: Replace an existing non-empty ``out_dir/stage1_train`` or
            an existing labels CSV instead of raising.
        show_progress: Show an ``mmengine`` progress bar.

    Returns:
        dict: Summary with ``out_dir``, ``seed``, ``num_images``,
        ``num_nuclei``, ``num_empty_images``, ``nuclei_per_image`` (min, mean,
        max), ``num_touching_pairs``, ``num_visible_overlap_pairs``,
        ``num_mask_overlap_pairs``, ``num_images_with_mask_overlaps``,
        ``image_sizes`` ({'HxW': count}) and ``elapsed_s``.

    Raises:
        FileExistsError: If ``out_dir`` already holds a dataset and
            ``overwrite`` is False.
        ValueError: On invalid parameters.
    """
    if num_images < 1:
        raise ValueError(f'num_images must be >= 1, got {num_images}')
    if seed < 0:
        raise ValueError(f'seed must be >= 0, got {seed}')
    cfg = SyntheticNucleiConfig(
        image_size=tuple(int(v) for v in image_size),
        image_sizes=(tuple(tuple(int(v) for v in s) for s in image_sizes)
                     if image_sizes else None),
        num_nuclei_range=tuple(int(v) for v in num_nuclei_range),
        radius_range=tuple(float(v) for v in radius_range),
        cluster_prob=cluster_prob,
        overlap_prob=overlap_prob,
        max_overlap_frac=max_overlap_frac,
        mask_overlap_prob=mask_overlap_prob,
        empty_fraction=empty_fraction,
        irregularity=irregularity,
        min_mask_area=int(min_mask_area),
        styles=tuple(styles),
        debris_range=tuple(int(v) for v in debris_range))
    out_dir = osp.abspath(osp.expanduser(str(out_dir)))
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise FileExistsError(f'{out_dir} exists and is not a directory')
    dst_train = osp.join(out_dir, 'stage1_train')
    dst_csv = osp.join(out_dir, LABELS_CSV)
    exists = ((osp.isdir(dst_train) and len(os.listdir(dst_train)) > 0)
              or osp.exists(dst_csv))
    if exists and not overwrite:
        raise FileExistsError(
            f'{out_dir} already holds a dataset (stage1_train or '
            f'{LABELS_CSV}); pass overwrite=True (--overwrite) to replace it')

    start = time.perf_counter()
    tmp_dir = f'{out_dir}.tmp-{os.getpid()}'
    if osp.exists(tmp_dir):
        shutil.rmtree(tmp_dir)
    train_dir = osp.join(tmp_dir, 'stage1_train')
    os.makedirs(train_dir)
    try:
        tasks = [(seed, i, cfg, train_dir) for i in range(num_images)]
        results = [None] * num_images
        bar = None
        if show_progress:
            from mmengine.utils import ProgressBar
            bar = ProgressBar(num_images)
        if workers > 1:
            # fork: a spawned worker would re-import mmssmd (torch, mmdet:
            # seconds each). The workers only use numpy/scipy/zlib, no
            # OpenCV, whose thread pool deadlocks in a forked child.
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context(
                'fork' if 'fork' in methods else 'spawn')
            chunk = max(1, min(16, num_images // (workers * 8)))
            with ctx.Pool(workers) as pool:
                for res in pool.imap_unordered(_worker, tasks, chunk):
                    results[res[0]] = res
                    if bar is not None:
                        bar.update()
        else:
            for task in tasks:
                res = _worker(task)
                results[res[0]] = res
                if bar is not None:
                    bar.update()
        if bar is not None:
            bar.file.write('\n')
            bar.file.flush()

        counts = [r[2] for r in results]
        sizes: Dict[str, int] = {}
        for r in results:
            key = f'{r[3][0]}x{r[3][1]}'
            sizes[key] = sizes.get(key, 0) + 1
        summary = dict(
            out_dir=out_dir,
            seed=int(seed),
            num_images=num_images,
            num_nuclei=int(sum(counts)),
            num_empty_images=int(sum(c == 0 for c in counts)),
            nuclei_per_image=(int(min(counts)),
                              round(float(np.mean(counts)), 2),
                              int(max(counts))),
            num_touching_pairs=int(
                sum(r[4]['touching_pairs'] for r in results)),
            num_visible_overlap_pairs=int(
                sum(r[4]['visible_overlap_pairs'] for r in results)),
            num_mask_overlap_pairs=int(
                sum(r[4]['mask_overlap_pairs'] for r in results)),
            num_images_with_mask_overlaps=int(
                sum(r[4]['mask_overlap_pairs'] > 0 for r in results)),
            image_sizes=dict(sorted(sizes.items())))
        with open(osp.join(tmp_dir, LABELS_CSV), 'w', newline='') as f:
            f.write('ImageId,EncodedPixels\n')
            for r in results:
                f.writelines(r[1])
        meta = dict(
            generator='mmssmd.datasets.synthetic_nuclei',
            seed=int(seed),
            num_images=num_images,
            config=asdict(cfg),
            summary={k: v
                     for k, v in summary.items() if k != 'out_dir'})
        with open(osp.join(tmp_dir, META_JSON), 'w') as f:
            json.dump(meta, f, indent=2, sort_keys=True)
            f.write('\n')

        # publish
        if not osp.exists(out_dir):
            os.makedirs(osp.dirname(out_dir) or '.', exist_ok=True)
            os.rename(tmp_dir, out_dir)
        else:
            for name in ('stage1_train', LABELS_CSV, META_JSON):
                dst = osp.join(out_dir, name)
                if osp.isdir(dst) and not osp.islink(dst):
                    shutil.rmtree(dst)
                elif osp.lexists(dst):
                    os.remove(dst)
                os.replace(osp.join(tmp_dir, name), dst)
            os.rmdir(tmp_dir)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    summary['elapsed_s'] = round(time.perf_counter() - start, 3)
    return summary
