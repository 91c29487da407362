from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from torch import Tensor


class _AddScaledNoise(torch.autograd.Function):
    """``x + noise * coef`` that keeps no noise map for its backward.

    Written by hand because autograd's ``addcmul`` saves ``noise`` (a full
    feature map per block) to differentiate ``coef``; here the backward
    recovers ``noise * coef`` as ``out - x`` from the block's input and
    output, which the neighbouring ReLU and convolution keep anyway.
    """

    @staticmethod
    def forward(ctx, x: Tensor, noise: Tensor, coef: Tensor) -> Tensor:
        out = torch.addcmul(x, noise, coef)
        ctx.save_for_backward(x, out, coef)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, out, coef = ctx.saved_tensors
        grad_coef = None
        if ctx.needs_input_grad[2]:
            # d out / d coef = noise = (out - x) / coef; where coef == 0
            # the chain to the gate's parameters is zero anyway
            safe = torch.where(coef != 0, coef, torch.ones_like(coef))
            grad_coef = (grad * (out - x)).sum(
                dim=(2, 3), keepdim=True) / safe
            grad_coef = torch.where(coef != 0, grad_coef,
                                    torch.zeros_like(grad_coef))
            grad_coef = grad_coef.sum_to_size(coef.shape)
        return grad, None, grad_coef


@MODELS.register_module()
class NoisyResidualBlock(nn.Module):
    """The noisy residual block of SSMD (Sec. 3.2, Eqs. 6-7).

    For a feature map ``X`` of shape [B, C, H, W]::

        Xp = conv1x1(GAP(X))                       # [B, C, 1, 1], Eq. 6
        Xn ~ N(mu, sigma), shape [B, C, H, W]       # fresh every call
        out = X + Xn * sigmoid(gamma * Xp)          # channel-wise, Eq. 7

    The sigmoid gate lets each channel learn how much noise it takes. The
    block is a training-time perturbation: in eval mode it is the identity
    (no noise, no compute), so a network with these blocks predicts exactly
    like the same network without them.

    Args:
        channels (int): C, the channels of the perturbed feature map.
        gamma (float): Scale inside the sigmoid. The paper uses 0.9.
        mu (float): Mean of the noise. Defaults to 0.
        sigma (float): Standard deviation of the noise. Defaults to 1 (the
            paper writes N(mu, sigma) without giving values; a standard
            normal scaled by the learned gate is the natural reading).

    The 1x1 conv (C -> C, with bias) is initialised like any other conv of
    the network it lives in (PyTorch's default, or the backbone's
    ``init_cfg``); pretrained ResNet weights leave it untouched.
    """

    def __init__(self,
                 channels: int,
                 gamma: float = 0.9,
                 mu: float = 0.0,
                 sigma: float = 1.0) -> None:
        super().__init__()
        if sigma < 0:
            raise ValueError(f'sigma must be >= 0, got {sigma}')
        self.channels = channels
        self.gamma = gamma
        self.mu = mu
        self.sigma = sigma
        self.conv = nn.Conv2d(channels, channels, kernel_size=1, bias=True)

    def noise_scale(self, x: Tensor) -> Tensor:
        """The per-channel gate ``sigmoid(gamma * conv1x1(GAP(x)))``,
        [B, C, 1, 1]."""
        return torch.sigmoid(self.gamma *
                             self.conv(F.adaptive_avg_pool2d(x, 1)))

    def add_noise(self, x: Tensor, spread: Optional[Tensor] = None) -> Tensor:
        """``x + N(mu, sigma) * spread * gate``, [B, C, H, W].

        The per-channel factors ([B, C, 1, 1]: the gate of
        :meth:`noise_scale`, times ``spread`` when given) are folded into
        one coefficient, so the full-size work is one draw and one
        ``addcmul`` (plus one addition when ``mu != 0``), whose backward
        keeps no noise map (:class:`_AddScaledNoise`).
        """
        noise = torch.randn_like(x)
        coef = self.noise_scale(x)
        if spread is not None:
            coef = coef * spread
        if self.mu != 0:
            x = x + self.mu * coef
        return _AddScaledNoise.apply(x, noise, coef * self.sigma)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        return self.add_noise(x)

    def extra_repr(self) -> str:
        return (f'channels={self.channels}, gamma={self.gamma}, '
                f'mu={self.mu}, sigma={self.sigma}')
