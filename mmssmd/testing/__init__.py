"""Test and demo helpers that need no registry: the synthetic DSB data.

Nothing here imports torch, mmdet or mmengine's registries (the package
``mmssmd`` itself does, when imported as a whole).
"""
from .synthetic_dsb import (DSB_FLUORESCENCE_SIZES, STYLES,
                            SyntheticNucleiConfig, SyntheticNucleiSample,
                            generate_synthetic_dsb, make_image_id,
                            synthesize_nuclei_image)

__all__ = [
    'DSB_FLUORESCENCE_SIZES', 'STYLES', 'SyntheticNucleiConfig',
    'SyntheticNucleiSample', 'generate_synthetic_dsb', 'make_image_id',
    'synthesize_nuclei_image'
]
