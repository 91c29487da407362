import torch
import torch.nn as nn
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class GaussianNoise(nn.Module):
    """Additive Gaussian noise ``X + N(0, sigma)`` (Table 4, "Noise").

    Identity in eval mode. See docs/methods.md#feature-perturbations for
    the default.

    Args:
        sigma (float): Standard deviation. Defaults to 0.5.
    """

    def __init__(self, sigma: float = 0.5) -> None:
        super().__init__()
        if sigma < 0:
            raise ValueError(f'sigma must be >= 0, got {sigma}')
        self.sigma = sigma

    def forward(self, x: Tensor) -> Tensor:
        """Add the noise in training mode.

        Args:
            x (Tensor): Feature map, any shape.

        Returns:
            Tensor: Same shape as ``x``.
        """
        if not self.training:
            return x
        return x + torch.randn_like(x) * self.sigma

    def extra_repr(self) -> str:
        return f'sigma={self.sigma}'
