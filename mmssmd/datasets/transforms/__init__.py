from .boxes_from_masks import RecomputeBoxesFromMasks

__all__ = ['RecomputeBoxesFromMasks']
