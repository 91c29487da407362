from typing import Optional

import torch
import torch.nn as nn
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
            # the chain to the gate's parameters is zero anyway. One
            # temporary, multiplied in place (a third fewer full-size
            # passes than ``(grad * (out - x)).sum()``)
            safe = torch.where(coef != 0, coef, torch.ones_like(coef))
            prod = torch.sub(out, x).mul_(grad)
            grad_coef = prod.sum(dim=(2, 3), keepdim=True) / safe
            grad_coef = torch.where(coef != 0, grad_coef,
                                    torch.zeros_like(grad_coef))
            grad_coef = grad_coef.sum_to_size(coef.shape)
        return grad, None, grad_coef


def global_mean(x: Tensor) -> Tensor:
    """``GAP(x)``, [B, C, 1, 1], as a sum: its backward is a lazy
    ``expand`` (``adaptive_avg_pool2d``'s and ``mean``'s write a full map).
    """
    return x.sum(dim=(2, 3), keepdim=True) / (x.shape[-2] * x.shape[-1])


def spatial_std(x: Tensor, mean: Tensor) -> Tensor:
    """Standard deviation over H and W per image and channel, [B, C, 1, 1].

    Written by hand because ``torch.std`` (a Welford reduction) costs as
    much as drawing the noise on the CPU; here one vectorised pass of sums
    of squares next to the known ``mean`` (``GAP(x)``) does it, about 7
    times faster, in float32 (relative error below 1e-4 where mean and
    spread are alike; cancellation costs digits where the mean dwarfs the
    spread: 8e-4 absolute at mean 100, spread 1; a 1 x 1 map has spread 0).

    Args:
        x (Tensor): [B, C, H, W], detached.
        mean (Tensor): Its spatial mean, [B, C, 1, 1], detached.

    Returns:
        Tensor: The unbiased spatial standard deviation, [B, C, 1, 1].
    """
    n = x.shape[-2] * x.shape[-1]
    sum_sq = torch.linalg.vector_norm(x.flatten(2), dim=2).square()
    var = (sum_sq - n * mean.flatten(2)[..., 0].square()) / max(n - 1, 1)
    return var.clamp_min(0).sqrt()[..., None, None]


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

    def gate(self, pooled: Tensor) -> Tensor:
        """``sigmoid(gamma * conv1x1(pooled))`` for ``pooled = GAP(x)``,
        [B, C, 1, 1]."""
        return torch.sigmoid(self.gamma * self.conv(pooled))

    def noise_scale(self, x: Tensor) -> Tensor:
        """The per-channel gate ``sigmoid(gamma * conv1x1(GAP(x)))``,
        [B, C, 1, 1]."""
        return self.gate(global_mean(x))

    def noise_spread(self, x: Tensor, pooled: Tensor) -> Optional[Tensor]:
        """A per-channel factor of the noise besides the gate, [B, C, 1, 1],
        or None (here: the paper's absolute noise). ``pooled`` is
        ``GAP(x)``."""
        return None

    def add_noise(self,
                  x: Tensor,
                  spread: Optional[Tensor] = None,
                  pooled: Optional[Tensor] = None) -> Tensor:
        """``x + N(mu, sigma) * spread * gate``, [B, C, H, W].

        The per-channel factors ([B, C, 1, 1]: the gate of
        :meth:`noise_scale`, times ``spread`` when given) are folded into
        one coefficient, so the full-size work is one draw and one
        ``addcmul`` (plus one addition when ``mu != 0``), whose backward
        keeps no noise map (:class:`_AddScaledNoise`). ``pooled``:
        ``GAP(x)`` when the caller has it.
        """
        noise = torch.randn_like(x)
        if pooled is None:
            pooled = global_mean(x)
        coef = self.gate(pooled)
        if spread is not None:
            coef = coef * spread
        if self.mu != 0:
            x = x + self.mu * coef
        return _AddScaledNoise.apply(x, noise, coef * self.sigma)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        pooled = global_mean(x)
        return self.add_noise(x, self.noise_spread(x, pooled), pooled)

    def extra_repr(self) -> str:
        return (f'channels={self.channels}, gamma={self.gamma}, '
                f'mu={self.mu}, sigma={self.sigma}')
