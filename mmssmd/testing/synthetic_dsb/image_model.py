"""The image model: procedural nuclei, optics and camera of one image.

:func:`synthesize_nuclei_image` renders image ``index`` of the set of
``seed``; see ``docs/data_and_metrics.md`` (synthetic DSB data) for the model
and the overlap-labelling decision. numpy and scipy only (no OpenCV: the
writer runs it in forked workers).
"""
import hashlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np
from scipy import ndimage

from .config import SyntheticNucleiConfig

__all__ = ['SyntheticNucleiSample', 'synthesize_nuclei_image',
           'make_image_id']

#: Area ``num_nuclei_range`` refers to; larger images get proportionally more.
_REFERENCE_AREA = 256 * 256
_EIGHT = np.ones((3, 3), bool)  # 8-connectivity
#: Largest shared area (fraction) of a nucleus not placed to overlap.
_GRAZE_FRAC = 0.08
#: Optical densities (R, G, B) of haematoxylin and eosin per unit of stain
#: (Ruifrok & Johnston, 2001), jittered per image.
_HAEMATOXYLIN = np.array([0.65, 0.70, 0.29], np.float32)
_EOSIN = np.array([0.07, 0.99, 0.11], np.float32)


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
