from .consistency_ramp import ssmd_consistency_weight
from .cutout import batch_cutout
from .flip_alignment import align_flipped_outputs

__all__ = [
    'ssmd_consistency_weight', 'batch_cutout', 'align_flipped_outputs'
]
