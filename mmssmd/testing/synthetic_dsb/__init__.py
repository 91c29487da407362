"""Synthetic nuclei images in the DSB 2018 folder format (test/demo data).

See ``docs/data_and_metrics.md`` for the layout, the image model and the
determinism guarantees.
"""
from .config import DSB_FLUORESCENCE_SIZES, STYLES, SyntheticNucleiConfig
from .generate import LABELS_CSV, META_JSON, generate_synthetic_dsb
from .image_model import (SyntheticNucleiSample, make_image_id,
                          synthesize_nuclei_image)
from .writer import WrittenImage, write_sample

__all__ = [
    'DSB_FLUORESCENCE_SIZES', 'STYLES', 'SyntheticNucleiConfig',
    'LABELS_CSV', 'META_JSON', 'generate_synthetic_dsb',
    'SyntheticNucleiSample', 'make_image_id', 'synthesize_nuclei_image',
    'WrittenImage', 'write_sample'
]
