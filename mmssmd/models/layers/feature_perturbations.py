"""The feature-space perturbations of Table 4 and their builder.

Every perturbation here acts only in training mode and is the identity in
eval mode. ``build_feature_perturbation`` turns a config such as
``dict(type='nrb', gamma=0.9)`` into one module for a feature map with a
given number of channels; ``NoisyResNet`` places one such module after each
residual block of the stages it perturbs.
"""
import copy
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmdet.models.layers import DropBlock
from mmdet.registry import MODELS
from torch import Tensor

from .noisy_residual_block import NoisyResidualBlock
from .scaled_noisy_residual_block import ScaledNoisyResidualBlock


@MODELS.register_module()
class GaussianNoise(nn.Module):
    """Additive Gaussian noise ``X + N(0, sigma)`` (Table 4, "Noise").

    Args:
        sigma (float): Standard deviation. Defaults to 0.5, the noise scale
            of a noisy residual block whose gate sits at its midpoint
            (``sigmoid(0) = 0.5`` times N(0, 1)); the paper gives no value.
    """

    def __init__(self, sigma: float = 0.5) -> None:
        super().__init__()
        if sigma < 0:
            raise ValueError(f'sigma must be >= 0, got {sigma}')
        self.sigma = sigma

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        return x + torch.randn_like(x) * self.sigma

    def extra_repr(self) -> str:
        return f'sigma={self.sigma}'


@MODELS.register_module()
class FeatureDropBlock(DropBlock):
    """mmdet's ``DropBlock`` (Ghiasi et al., 2018) that also accepts feature
    maps smaller than the block.

    mmdet's version fails when ``H`` or ``W`` is below ``block_size``; here
    the block shrinks to the largest odd size that fits. Otherwise the same:
    ``drop_prob`` is reached linearly over the first ``warmup_iters``
    training forward calls of this module, eval is the identity. The
    warm-up counter is saved in the state dict (mmdet keeps it as a plain
    attribute), so a resumed run continues its warm-up.
    """

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        block_size = self.block_size
        limit = min(x.shape[-2:])
        if limit < block_size:
            self.block_size = max(1, limit - (1 - limit % 2))
        try:
            return super().forward(x)
        finally:
            self.block_size = block_size

    def get_extra_state(self) -> dict:
        """Keep the warm-up position in checkpoints, for exact resume."""
        return {'iter_cnt': self.iter_cnt}

    def set_extra_state(self, state: dict) -> None:
        self.iter_cnt = int(state['iter_cnt'])


# Components, their defaults and the stages (res2..res5) they perturb when
# the config does not say.
PERTURBATION_DEFAULTS: Dict[str, dict] = {
    'nrb': dict(gamma=0.9, mu=0.0, sigma=1.0),
    # noise relative to each channel's spread (ScaledNoisyResidualBlock)
    'scaled_nrb': dict(gamma=0.9, mu=0.0, sigma=0.1),
    'dropout': dict(p=0.1),
    # Ghiasi et al.: DropBlock in conv4 and conv5 (res4, res5), block 5,
    # keep_prob 0.9 for RetinaNet, with a linear schedule of keep_prob.
    'dropblock': dict(drop_prob=0.1, block_size=5, warmup_iters=2000),
    'gaussian': dict(sigma=0.5),
}
DEFAULT_STAGES: Dict[str, Tuple[bool, ...]] = {
    'nrb': (True, True, True, True),
    'scaled_nrb': (True, True, True, True),
    'dropout': (True, True, True, True),
    'dropblock': (False, False, True, True),
    'gaussian': (True, True, True, True),
}
PERTURBATION_TYPES = ('nrb', 'scaled_nrb', 'dropout', 'dropblock',
                      'gaussian', 'nrb+dropout', 'nrb+gaussian')


def perturbation_components(cfg: dict) -> Dict[str, dict]:
    """The components of a perturbation config and their keyword arguments.

    A single type takes its options flat: ``dict(type='nrb', gamma=0.9)``.
    A combination ``'a+b'`` applies ``a`` then ``b`` and takes each
    component's options nested under its name:
    ``dict(type='nrb+gaussian', nrb=dict(gamma=0.9), gaussian=dict(
    sigma=0.1))``. Unknown types or options raise a ``ValueError``.
    """
    cfg = dict(copy.deepcopy(cfg))
    ptype = cfg.pop('type', None)
    if ptype not in PERTURBATION_TYPES:
        raise ValueError(
            f'Unknown feature perturbation type {ptype!r}; expected one of '
            f'{PERTURBATION_TYPES} (or perturbation=None for none)')
    names = ptype.split('+')
    if len(names) == 1:
        per_name = {ptype: cfg}
    else:
        unknown = set(cfg) - set(names)
        if unknown:
            raise ValueError(
                f'Options of {ptype!r} go under its components {names}; '
                f'got {sorted(unknown)}')
        per_name = {name: dict(cfg.get(name) or {}) for name in names}
    components = {}
    for name in names:
        kwargs = dict(PERTURBATION_DEFAULTS[name])
        unknown = set(per_name[name]) - set(kwargs)
        if unknown:
            raise ValueError(
                f'Unknown options {sorted(unknown)} for {name!r}; it takes '
                f'{sorted(kwargs)}')
        kwargs.update(per_name[name])
        components[name] = kwargs
    return components


def default_stages(cfg: dict) -> Tuple[bool, ...]:
    """Stages a perturbation goes into by default: all four, except for
    DropBlock (res4 and res5 only, as in its paper and SSMD's Table 4)."""
    names = perturbation_components(cfg)
    stages = [False] * 4
    for name in names:
        stages = [a or b for a, b in zip(stages, DEFAULT_STAGES[name])]
    return tuple(stages)


def build_feature_perturbation(cfg: Optional[dict],
                               channels: int) -> nn.Module:
    """One perturbation module for a feature map with ``channels``
    channels; ``nn.Identity`` when ``cfg`` is None."""
    if cfg is None:
        return nn.Identity()
    modules = []
    for name, kwargs in perturbation_components(cfg).items():
        if name == 'nrb':
            modules.append(NoisyResidualBlock(channels, **kwargs))
        elif name == 'scaled_nrb':
            modules.append(ScaledNoisyResidualBlock(channels, **kwargs))
        elif name == 'dropout':
            modules.append(nn.Dropout(**kwargs))
        elif name == 'dropblock':
            modules.append(FeatureDropBlock(**kwargs))
        elif name == 'gaussian':
            modules.append(GaussianNoise(**kwargs))
    return modules[0] if len(modules) == 1 else nn.Sequential(*modules)
