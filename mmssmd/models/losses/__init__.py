from .adaptive_consistency_loss import AdaptiveConsistencyLoss, bernoulli_kl
from .soft_focal_loss import SoftFocalLoss, soft_focal_loss

__all__ = [
    'AdaptiveConsistencyLoss', 'bernoulli_kl', 'SoftFocalLoss',
    'soft_focal_loss'
]
