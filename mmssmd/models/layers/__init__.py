from .feature_perturbations import (FeatureDropBlock, GaussianNoise,
                                    build_feature_perturbation)
from .noisy_residual_block import NoisyResidualBlock
from .scaled_noisy_residual_block import ScaledNoisyResidualBlock

__all__ = [
    'NoisyResidualBlock', 'ScaledNoisyResidualBlock', 'GaussianNoise', 'FeatureDropBlock',
    'build_feature_perturbation'
]
