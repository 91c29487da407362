from mmdet.registry import MODELS
from torch import Tensor

from .noisy_residual_block import NoisyResidualBlock, spatial_std


@MODELS.register_module()
class ScaledNoisyResidualBlock(NoisyResidualBlock):
    """A noisy residual block whose noise is relative to the feature map.

    As :class:`NoisyResidualBlock` (Eqs. 6-7), except that the noise of
    each image and channel is scaled by that channel's own spatial standard
    deviation (detached)::

        Xn ~ N(mu, sigma) * std_hw(X)           # [B, C, H, W]
        out = X + Xn * sigmoid(gamma * conv1x1(GAP(X)))

    so ``sigma`` is a signal-to-noise ratio that means the same in every
    stage and for every backbone (pretrained or not), where the paper's
    absolute ``N(mu, sigma)`` is as large as the features themselves for
    ``sigma = 1``. A small ``sigma`` also keeps the statistics that the
    following BN layers collect under noise close to the clean statistics
    they see in eval mode. Identity in eval mode. Measurements that chose
    the default are in ``docs/ssmd_gain.md``.

    Args:
        channels (int): C, the channels of the perturbed feature map.
        gamma (float): Scale inside the sigmoid. The paper uses 0.9.
        mu (float): Mean of the relative noise. Defaults to 0.
        sigma (float): Standard deviation of the relative noise.
            Defaults to 0.1.
    """

    def __init__(self,
                 channels: int,
                 gamma: float = 0.9,
                 mu: float = 0.0,
                 sigma: float = 0.1) -> None:
        super().__init__(channels, gamma=gamma, mu=mu, sigma=sigma)

    def noise_spread(self, x: Tensor, pooled: Tensor) -> Tensor:
        """``std_hw(x)`` per image and channel, detached, [B, C, 1, 1]
        (:func:`spatial_std`)."""
        return spatial_std(x.detach(), pooled.detach())
