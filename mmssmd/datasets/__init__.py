from .checked_coco import CheckedCocoDataset
from .deeplesion import DeepLesionDataset
from .dsb2018 import DSBNucleiDataset
from .semi_checks import check_ann_file, check_categories, check_not_empty
from .transforms import *  # noqa: F401,F403

__all__ = ['CheckedCocoDataset', 'DeepLesionDataset', 'DSBNucleiDataset',
           'check_ann_file', 'check_categories', 'check_not_empty']
