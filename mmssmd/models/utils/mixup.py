"""MixMatch-style helpers of FocalMix: sharpening, image- and object-level
mixup on batched tensors with anchor-level targets.

mmdet's ``MixUp`` transform works on one numpy image and its boxes inside
the data pipeline (it pastes a second image and concatenates the two box
sets). FocalMix mixes *batched* tensors together with their dense
per-anchor soft targets, after the targets of unlabeled images have been
guessed by the model, so these operations live inside the model.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def sharpen(prob: Tensor, temperature: float) -> Tensor:
    """Sharpen independent (sigmoid) class probabilities.

    MixMatch's ``Sharpen(p, T)_i = p_i^(1/T) / sum_j p_j^(1/T)`` applied to
    each binary distribution ``(p, 1 - p)`` of a sigmoid classifier:
    ``p^(1/T) / (p^(1/T) + (1 - p)^(1/T))``. Computed as
    ``sigmoid(logit(p) / T)``, which is the same number without the
    underflow of ``p^(1/T)`` for small ``p``. It keeps 0, 0.5 and 1 fixed
    and, for ``T < 1``, pushes every other value away from 0.5.

    Args:
        prob (Tensor): Probabilities in [0, 1], any shape.
        temperature (float): ``T > 0``; 1 leaves ``prob`` unchanged.

    Returns:
        Tensor: Sharpened probabilities, same shape.
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    if temperature == 1:
        return prob
    eps = torch.finfo(prob.dtype).tiny
    logit = prob.clamp_min(eps).log() - (1 - prob).clamp_min(eps).log()
    return (logit / temperature).sigmoid()


def sample_mixup_lambda(eta: float) -> float:
    """``lambda ~ Beta(eta, eta)``, then ``max(lambda, 1 - lambda)``.

    The MixMatch convention: the mixed sample stays closer to its first
    (dominant) source, so it keeps that source's box targets. Uses torch's
    global random state (``torch.manual_seed`` makes it reproducible).

    Args:
        eta (float): Beta parameter (> 0).

    Returns:
        float: A value in [0.5, 1].
    """
    if eta <= 0:
        raise ValueError(f'eta must be > 0, got {eta}')
    lam = float(torch.distributions.Beta(eta, eta).sample())
    return max(lam, 1.0 - lam)


def mix_batch(batch: Tensor, lam: float, perm: Tensor) -> Tensor:
    """``lam * batch + (1 - lam) * batch[perm]`` along the first axis.

    Args:
        batch (Tensor): [B, ...].
        lam (float): Weight of the first source.
        perm (Tensor): Permutation of ``range(B)``, [B].

    Returns:
        Tensor: [B, ...].
    """
    return lam * batch + (1 - lam) * batch[perm]


def image_mixup(images: Tensor, targets: Sequence[Tensor], lam: float,
                perm: Tensor) -> Tuple[Tensor, List[Tensor]]:
    """Image-level mixup of a batch with a permutation of itself.

    ``x'_i = lam * x_i + (1 - lam) * x_perm[i]`` and every target tensor
    gets the same convex combination, anchor by anchor (images of one
    padded batch share one anchor grid, so anchor ``n`` of image ``i`` and
    of image ``perm[i]`` are the same box).

    Args:
        images (Tensor): [B, C, H, W].
        targets (Sequence[Tensor]): Tensors with a leading batch axis
            ``B``, e.g. soft class targets [B, N, C].
        lam (float): Mixing coefficient of the first source.
        perm (Tensor): Permutation of ``range(B)``, [B].

    Returns:
        tuple[Tensor, list[Tensor]]: The mixed images and targets.
    """
    return mix_batch(images, lam, perm), [
        mix_batch(t, lam, perm) for t in targets
    ]


def box_to_slice(box: Tensor, height: int,
                 width: int) -> Tuple[int, int, int, int]:
    """The pixel region ``[y0, y1) x [x0, x1)`` a box covers.

    Box corners are rounded to the nearest pixel edge and clipped to the
    image; pixel ``(r, c)`` covers ``[c, c + 1) x [r, r + 1)``.

    Args:
        box (Tensor): ``(x1, y1, x2, y2)`` in pixels, [4].
        height (int): Image height.
        width (int): Image width.

    Returns:
        tuple[int, int, int, int]: ``(y0, y1, x0, x1)``; empty when
        ``y1 <= y0`` or ``x1 <= x0``.
    """
    x1, y1, x2, y2 = [int(v) for v in box.detach().round().tolist()]
    return (max(y1, 0), min(y2, height), max(x1, 0), min(x2, width))


def object_mixup(images: Tensor,
                 boxes: Sequence[Tensor],
                 src_image: Tensor,
                 src_box: Tensor,
                 lams: Tensor,
                 ) -> Tuple[Tensor, Tensor]:
    """Object-level mixup: blend a source object into each destination box.

    For destination object ``k`` (image ``i``, box ``b_k``), the source
    object ``(src_image[k], src_box[k])`` is cropped from ``images`` (the
    *unmixed* batch), resized bilinearly to the destination box's pixel
    region and blended in place::

        x'[i, :, b_k] = lams[k] * x[i, :, b_k] + (1 - lams[k]) * resize(src)

    The destination keeps its position and box, so its box targets are
    unchanged; with ``lams >= 0.5`` it is the dominant object. Pixels
    outside every destination box are untouched. When destination boxes
    of one image overlap, the later object is blended over the earlier
    result.

    Args:
        images (Tensor): [B, C, H, W].
        boxes (Sequence[Tensor]): Per image, destination boxes [M_i, 4].
        src_image (Tensor): Per destination object (in the order of
            ``boxes`` flattened), the image index of its source, [M].
        src_box (Tensor): Per destination object, the source box, [M, 4].
        lams (Tensor): Per destination object, its mixing weight, [M].

    Returns:
        tuple[Tensor, Tensor]: The mixed images [B, C, H, W] and a bool
        mask [M] of the objects that were mixed (both regions non-empty).
    """
    _, _, h, w = images.shape
    out = images.clone()
    mixed = torch.zeros(len(src_box), dtype=torch.bool)
    k = 0
    for i, img_boxes in enumerate(boxes):
        for box in img_boxes:
            y0, y1, x0, x1 = box_to_slice(box, h, w)
            sy0, sy1, sx0, sx1 = box_to_slice(src_box[k], h, w)
            if y1 > y0 and x1 > x0 and sy1 > sy0 and sx1 > sx0:
                patch = images[int(src_image[k]), :, sy0:sy1, sx0:sx1]
                patch = F.interpolate(
                    patch[None], size=(y1 - y0, x1 - x0), mode='bilinear',
                    align_corners=False)[0]
                lam = float(lams[k])
                out[i, :, y0:y1, x0:x1] = (
                    lam * out[i, :, y0:y1, x0:x1] + (1 - lam) * patch)
                mixed[k] = True
            k += 1
    if k != len(src_box):
        raise ValueError(f'{k} destination boxes but {len(src_box)} sources')
    return out, mixed
