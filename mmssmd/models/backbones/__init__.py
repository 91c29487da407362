from .noisy_resnet import NoisyResNet

__all__ = ['NoisyResNet']
