from typing import Optional, Sequence, Tuple

import torch.nn as nn
from mmdet.models.backbones import ResNet
from mmdet.registry import MODELS
from torch import Tensor

from ..layers import build_feature_perturbation
from ..layers.feature_perturbations import default_stages


@MODELS.register_module()
class NoisyResNet(ResNet):
    """mmdet's ResNet with a feature-space perturbation after every residual
    block of the chosen stages: SSMD's noisy residual blocks (Sec. 3.2) and
    the alternatives of Table 4.

    ``perturbation`` picks the module placed after each block (all act only
    in training mode and are the identity in eval mode, so eval outputs
    equal those of a plain ResNet with the same weights):

    * ``dict(type='nrb', gamma=0.9, mu=0., sigma=1.)``: the noisy residual
      block, ``X + N(mu, sigma) * sigmoid(gamma * conv1x1(GAP(X)))``
      (default; see :class:`NoisyResidualBlock`).
    * ``dict(type='dropout', p=0.1)``: layer-wise ``nn.Dropout``.
    * ``dict(type='dropblock', drop_prob=0.1, block_size=5,
      warmup_iters=2000)``: mmdet's DropBlock, in res4 and res5 only
      (conv4 and conv5, as Ghiasi et al. and the paper place it).
    * ``dict(type='gaussian', sigma=0.5)``: additive ``N(0, sigma)``.
    * ``'nrb+dropout'``, ``'nrb+gaussian'``: the block followed by the other
      one, options nested per component, e.g. ``dict(type='nrb+dropout',
      nrb=dict(gamma=0.9), dropout=dict(p=0.1))``.
    * ``None``: no perturbation; the network is exactly ``ResNet``.

    Placement is layer-wise: after every residual block (after its addition
    and ReLU, i.e. on the input of the next block) of each stage whose
    ``perturb_stages`` entry is True; ``perturb_stages=None`` means all
    stages, except res4 and res5 only for DropBlock.

    The perturbation modules live in ``self.perturbations[stage][block]``,
    outside ``layer1``..``layer4``, so ResNet's state-dict keys are unchanged:
    a ResNet checkpoint (torchvision or mmdet) loads with only the noisy
    residual blocks' ``perturbations.*.conv`` parameters missing.

    Args:
        perturbation (dict, optional): See above. Defaults to
            ``dict(type='nrb')``.
        perturb_stages (Sequence[bool], optional): One flag per stage.
        **kwargs: Arguments of :class:`mmdet.models.backbones.ResNet`.
    """

    def __init__(self,
                 perturbation: Optional[dict] = dict(type='nrb'),
                 perturb_stages: Optional[Sequence[bool]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.perturbation = perturbation
        if perturbation is None:
            self.perturb_stages = (False, ) * self.num_stages
            self.perturbations = None
            return
        if perturb_stages is None:
            perturb_stages = default_stages(perturbation)[:self.num_stages]
        perturb_stages = tuple(bool(s) for s in perturb_stages)
        if len(perturb_stages) != self.num_stages:
            raise ValueError(
                f'perturb_stages needs one flag per stage ({self.num_stages})'
                f', got {perturb_stages}')
        self.perturb_stages = perturb_stages
        self.perturbations = nn.ModuleList()
        for i, num_blocks in enumerate(self.stage_blocks):
            channels = self.base_channels * 2**i * self.block.expansion
            cfg = perturbation if perturb_stages[i] else None
            self.perturbations.append(
                nn.ModuleList(
                    build_feature_perturbation(cfg, channels)
                    for _ in range(num_blocks)))

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        if self.perturbations is None:
            return super().forward(x)
        if self.deep_stem:
            x = self.stem(x)
        else:
            x = self.conv1(x)
            x = self.norm1(x)
            x = self.relu(x)
        x = self.maxpool(x)
        outs = []
        for i, layer_name in enumerate(self.res_layers):
            res_layer = getattr(self, layer_name)
            for block, perturb in zip(res_layer, self.perturbations[i]):
                x = perturb(block(x))
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
