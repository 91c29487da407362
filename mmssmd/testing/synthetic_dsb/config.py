"""Parameters of the synthetic DSB 2018 nuclei generator."""
from dataclasses import dataclass
from typing import Optional, Tuple

__all__ = ['SyntheticNucleiConfig', 'DSB_FLUORESCENCE_SIZES', 'STYLES']

#: Image sizes (height, width) of the fluorescence part of the real DSB 2018
#: stage-1 training set, usable as ``image_sizes``.
DSB_FLUORESCENCE_SIZES = ((256, 256), (256, 320), (360, 360))
#: Imaging styles of :class:`SyntheticNucleiConfig`.
STYLES = ('fluorescence', 'brightfield', 'histology')


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
