import copy
import inspect
from typing import List, Optional, Sequence, Tuple

import torch.nn as nn
from mmdet.models.backbones import ResNet
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class NoisyResNet(ResNet):
    """mmdet's ResNet with feature perturbations after its residual blocks.

    ``perturbation`` lists module configs (SSMD's noisy residual blocks,
    Sec. 3.2, and the alternatives of Table 4), applied in list order after
    every residual block (after its addition and ReLU) of the stages each
    entry names. All registered perturbations act only in training mode, so
    eval outputs equal those of a plain ResNet with the same weights. The
    modules live in ``self.perturbations[stage][block]`` (one module, or an
    ``nn.Sequential`` of several in list order; ``nn.Identity`` where none),
    outside ``layer1``..``layer4``, so a ResNet checkpoint loads with only
    the perturbations' own parameters missing. See
    docs/methods.md#feature-perturbations.

    Args:
        perturbation (list[dict], optional): Module configs built with
            ``MODELS.build``, e.g. ``dict(type='NoisyResidualBlock')``,
            ``dict(type='Dropout', drop_prob=0.1)`` or
            ``dict(type='FeatureDropBlock', stages=(False, False, True,
            True))``. Each entry may hold ``stages``, one bool per ResNet
            stage (default: all stages). Types whose constructor takes
            ``channels`` receive the channel count of the stage. None or
            ``[]``: no perturbation, exactly ``ResNet``. Defaults to
            ``[dict(type='NoisyResidualBlock')]``.
        **kwargs: Arguments of :class:`mmdet.models.backbones.ResNet`.
    """

    def __init__(self,
                 perturbation: Optional[Sequence[dict]] = [
                     dict(type='NoisyResidualBlock')
                 ],
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(perturbation, dict):
            raise ValueError('perturbation must be a list of module configs '
                             f'(or None), got the dict {perturbation}')
        self.perturbation = [
            dict(copy.deepcopy(entry)) for entry in perturbation or []
        ]
        self.perturbations: Optional[nn.ModuleList] = None
        if not self.perturbation:
            return
        stages = [
            self._entry_stages(i, entry)
            for i, entry in enumerate(self.perturbation)
        ]
        self.perturbations = nn.ModuleList()
        for s, num_blocks in enumerate(self.stage_blocks):
            channels = self.base_channels * 2**s * self.block.expansion
            used = [
                entry for entry, on in zip(self.perturbation, stages) if on[s]
            ]
            self.perturbations.append(
                nn.ModuleList(
                    self._build_block_perturbation(used, channels)
                    for _ in range(num_blocks)))

    def _entry_stages(self, index: int, entry: dict) -> Tuple[bool, ...]:
        """Pop and validate the ``stages`` of one perturbation entry."""
        stages = entry.pop('stages', (True, ) * self.num_stages)
        if (len(stages) != self.num_stages
                or not all(isinstance(s, bool) for s in stages)):
            raise ValueError(
                f'perturbation[{index}] ({entry.get("type")!r}): stages '
                f'needs one bool per stage ({self.num_stages}), got {stages}')
        if MODELS.get(entry.get('type')) is None:
            raise KeyError(
                f'perturbation[{index}]: unknown type {entry.get("type")!r} '
                'in the MODELS registry')
        return tuple(stages)

    @staticmethod
    def _build_block_perturbation(entries: List[dict],
                                  channels: int) -> nn.Module:
        """The module(s) after one residual block, in list order."""
        modules = []
        for entry in entries:
            cfg = copy.deepcopy(entry)
            cls = MODELS.get(cfg['type'])
            if 'channels' in cfg:
                raise ValueError(f'perturbation {entry}: channels is set by '
                                 'the backbone')
            if 'channels' in inspect.signature(cls).parameters:
                cfg['channels'] = channels
            try:
                modules.append(MODELS.build(cfg))
            except (TypeError, ValueError, AssertionError) as err:
                raise ValueError(f'perturbation {entry}: {err}') from err
        if not modules:
            return nn.Identity()
        return modules[0] if len(modules) == 1 else nn.Sequential(*modules)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """ResNet's forward with the perturbations after each block.

        Args:
            x (Tensor): Images, [B, 3, H, W].

        Returns:
            tuple[Tensor]: The feature maps of ``out_indices``.
        """
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
