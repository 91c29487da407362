from .adaptive_consistency_loss import (AdaptiveConsistencyLoss,
                                        SoftmaxAdaptiveConsistencyLoss)
from .consistency_utils import (BOX_COMPONENTS, BaseConsistencyLoss,
                                bernoulli_kl, box_component_indices,
                                float32_forward, foreground_confidence,
                                sigmoid_foreground_mass, softmax_foreground,
                                softmax_kl, used_levels)
from .csd_consistency_loss import CSDConsistencyLoss
from .soft_focal_loss import SoftFocalLoss, soft_focal_loss

__all__ = [
    'AdaptiveConsistencyLoss', 'SoftmaxAdaptiveConsistencyLoss',
    'CSDConsistencyLoss', 'BaseConsistencyLoss',
    'BOX_COMPONENTS', 'bernoulli_kl', 'box_component_indices',
    'float32_forward', 'foreground_confidence', 'used_levels',
    'sigmoid_foreground_mass', 'softmax_foreground', 'softmax_kl',
    'SoftFocalLoss', 'soft_focal_loss'
]
