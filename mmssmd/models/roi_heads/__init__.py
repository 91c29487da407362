from .clipped_fcn_mask_head import ClippedFCNMaskHead

__all__ = ['ClippedFCNMaskHead']
