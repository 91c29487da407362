from .feature_perturbations import (FeatureDropBlock, GaussianNoise,
                                    build_feature_perturbation)
from .noisy_residual_block import NoisyResidualBlock

__all__ = [
    'NoisyResidualBlock', 'GaussianNoise', 'FeatureDropBlock',
    'build_feature_perturbation'
]
