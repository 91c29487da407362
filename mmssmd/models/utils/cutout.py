from typing import Optional

import torch
from torch import Tensor


def batch_cutout(inputs: Tensor,
                 num_holes: int,
                 hole_size: int,
                 fill_value: float = 0.,
                 generator: Optional[torch.Generator] = None) -> Tensor:
    """Cut ``num_holes`` square holes per image out of a batch (Cutout).

    mmdet's ``CutOut`` transform works on one numpy image inside the data
    pipeline; SSMD needs independent cutouts of the student and teacher
    views of the same (rotated, batched) tensor inside the model, hence
    this function. Hole centres are uniform over the tensor; holes are
    clipped at the borders (as in DeVries & Taylor's Cutout), so a hole
    near a border is smaller.

    Args:
        inputs (Tensor): Images, [B, C, H, W] (normalised: ``fill_value``
            0 is the dataset mean colour).
        num_holes (int): Holes per image; 0 returns ``inputs`` unchanged.
        hole_size (int): Side of each square hole in pixels.
        fill_value (float): Value written into the holes. Defaults to 0.
        generator (torch.Generator, optional): Random source.

    Returns:
        Tensor: A new tensor with the holes, [B, C, H, W].
    """
    if num_holes <= 0 or hole_size <= 0:
        return inputs
    b, _, h, w = inputs.shape
    device = inputs.device
    cy = torch.randint(0, h, (b, num_holes), generator=generator).to(device)
    cx = torch.randint(0, w, (b, num_holes), generator=generator).to(device)
    half = hole_size // 2
    ys = torch.arange(h, device=device).view(1, 1, h, 1)
    xs = torch.arange(w, device=device).view(1, 1, 1, w)
    y0, x0 = (cy - half).view(b, num_holes, 1, 1), (cx - half).view(
        b, num_holes, 1, 1)
    inside = ((ys >= y0) & (ys < y0 + hole_size) & (xs >= x0) &
              (xs < x0 + hole_size)).any(dim=1, keepdim=True)  # [B,1,H,W]
    return inputs.masked_fill(inside, fill_value)
