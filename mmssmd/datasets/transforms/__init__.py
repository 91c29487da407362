from .boxes_from_masks import RecomputeBoxesFromMasks
from .load_deeplesion_slices import LoadDeepLesionSlices
from .resize_to_spacing import ResizeToSpacing

__all__ = [
    'RecomputeBoxesFromMasks', 'LoadDeepLesionSlices', 'ResizeToSpacing'
]
