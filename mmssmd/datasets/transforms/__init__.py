from .boxes_from_masks import RecomputeBoxesFromMasks
from .load_deeplesion_slices import LoadDeepLesionSlices

__all__ = ['RecomputeBoxesFromMasks', 'LoadDeepLesionSlices']
