from .deeplesion import DeepLesionDataset
from .dsb2018 import DSBNucleiDataset
from .semi_checks import check_ann_file, check_categories, check_not_empty
from .synthetic_nuclei import generate_synthetic_dsb
from .transforms import *  # noqa: F401,F403

__all__ = ['DeepLesionDataset', 'DSBNucleiDataset', 'generate_synthetic_dsb',
           'check_ann_file', 'check_categories', 'check_not_empty']
