from .adversarial import (foreground_mask, instance_adversarial_perturbation,
                          per_image_l2_normalize)
from .consistency_ramp import (CONSISTENCY_SCHEDULES,
                               check_consistency_schedule, consistency_weight,
                               gaussian_ramp_weight)
from .cutout import batch_cutout
from .dense_outputs import flatten_levels, images_to_anchor_major
from .flip_alignment import align_flipped_outputs, flip_column_pairing
from .loss_ratio import consistency_ratio
from .mixup import (box_to_slice, image_mixup, mix_batch, object_mixup,
                    sample_mixup_lambda, sharpen)
from .roi_flip import align_flipped_roi_deltas, class_deltas, mirror_rois
from .semi_batch import (add_consistency_losses, stack_branches,
                         supervised_losses)

__all__ = [
    'instance_adversarial_perturbation', 'foreground_mask',
    'per_image_l2_normalize', 'CONSISTENCY_SCHEDULES',
    'check_consistency_schedule', 'consistency_weight',
    'gaussian_ramp_weight', 'batch_cutout', 'flatten_levels',
    'images_to_anchor_major', 'align_flipped_outputs', 'flip_column_pairing',
    'consistency_ratio', 'box_to_slice', 'image_mixup', 'mix_batch',
    'object_mixup', 'sample_mixup_lambda', 'sharpen',
    'add_consistency_losses', 'stack_branches', 'supervised_losses',
    'align_flipped_roi_deltas', 'class_deltas', 'mirror_rois'
]
