from .adversarial import (foreground_mask, instance_adversarial_perturbation,
                          per_image_l2_normalize)
from .consistency_ramp import ssmd_consistency_weight
from .cutout import batch_cutout
from .dense_outputs import flatten_levels
from .flip_alignment import align_flipped_outputs, flip_column_pairing
from .loss_ratio import consistency_ratio
from .mixup import (box_to_slice, image_mixup, mix_batch, object_mixup,
                    sample_mixup_lambda, sharpen)

__all__ = [
    'instance_adversarial_perturbation', 'foreground_mask',
    'per_image_l2_normalize', 'ssmd_consistency_weight', 'batch_cutout',
    'flatten_levels', 'align_flipped_outputs', 'flip_column_pairing',
    'consistency_ratio',
    'box_to_slice', 'image_mixup', 'mix_batch', 'object_mixup',
    'sample_mixup_lambda', 'sharpen'
]
