from mmdet.models.layers import DropBlock
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class FeatureDropBlock(DropBlock):
    """mmdet's ``DropBlock`` (Ghiasi et al., 2018) that also accepts feature
    maps smaller than the block.

    Where ``H`` or ``W`` is below ``block_size`` the block shrinks to the
    largest odd size that fits (mmdet's version fails). ``drop_prob`` is
    reached linearly over the first ``warmup_iters`` training forward calls
    of this module; the warm-up counter is saved in the state dict (mmdet
    keeps it as a plain attribute), so a resumed run continues its warm-up.
    Identity in eval mode.

    Args:
        drop_prob (float): Final probability of dropping a block centre.
            Defaults to 0.1.
        block_size (int): Odd side of the dropped blocks. Defaults to 5.
        warmup_iters (int): Linear warm-up of ``drop_prob``. Defaults to
            2000.
    """

    def __init__(self,
                 drop_prob: float = 0.1,
                 block_size: int = 5,
                 warmup_iters: int = 2000) -> None:
        super().__init__(drop_prob, block_size, warmup_iters=warmup_iters)

    def forward(self, x: Tensor) -> Tensor:
        """Drop blocks in training mode.

        Args:
            x (Tensor): Feature map, [B, C, H, W].

        Returns:
            Tensor: [B, C, H, W].
        """
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
        """Restore the warm-up position."""
        self.iter_cnt = int(state['iter_cnt'])
