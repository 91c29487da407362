from .feature_drop_block import FeatureDropBlock
from .gaussian_noise import GaussianNoise
from .noisy_residual_block import NoisyResidualBlock
from .scaled_noisy_residual_block import ScaledNoisyResidualBlock

__all__ = [
    'NoisyResidualBlock', 'ScaledNoisyResidualBlock', 'GaussianNoise',
    'FeatureDropBlock'
]
