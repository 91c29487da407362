from .dsb2018 import DSBNucleiDataset
from .synthetic_nuclei import generate_synthetic_dsb
from .transforms import *  # noqa: F401,F403

__all__ = ['DSBNucleiDataset', 'generate_synthetic_dsb']
