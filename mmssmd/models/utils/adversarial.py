from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from ..losses.consistency_utils import sigmoid_foreground_mass

# forward_fn(x) -> per level class logits [N_l, C] and box deltas [N_l, 4]
# at the student's anchors (flattened image-major, as ``flatten_levels``)
DenseForward = Callable[[Tensor], Tuple[List[Tensor], List[Tensor]]]
# loss_fn(student_cls, teacher_cls, student_box, teacher_box) -> scalar
ConsistencyFn = Callable[[List[Tensor], List[Tensor], List[Tensor],
                          List[Tensor]], Tensor]
# foreground_fn(logits [N, C]) -> detached foreground probability [N]
ForegroundFn = Callable[[Tensor], Tensor]


def per_image_l2_normalize(x: Tensor) -> Tuple[Tensor, Tensor]:
    """Scale each image of ``x`` to unit L2 norm; zero images stay zero.

    The maximum absolute value is divided out first, so the norm of a very
    small tensor (gradients scaled by ``xi`` ~ 1e-7) does not underflow.

    Args:
        x (Tensor): [B, ...].

    Returns:
        tuple[Tensor, Tensor]: The normalised tensor, same shape, and a
        [B] bool tensor: True where the image could be normalised (finite
        and nonzero).
    """
    flat = x.flatten(1)
    finite = torch.isfinite(flat).all(dim=1)
    flat = torch.where(finite[:, None], flat, torch.zeros_like(flat))
    peak = flat.abs().amax(dim=1, keepdim=True)
    valid = finite & (peak[:, 0] > 0)
    scaled = flat / peak.clamp_min(torch.finfo(flat.dtype).tiny)
    unit = scaled / scaled.norm(dim=1, keepdim=True).clamp_min(
        torch.finfo(flat.dtype).tiny)
    unit = torch.where(valid[:, None], unit, torch.zeros_like(unit))
    return unit.view_as(x), valid


def foreground_mask(
        student_cls: Sequence[Tensor],
        tau: float,
        foreground_fn: ForegroundFn = sigmoid_foreground_mass
) -> List[Tensor]:
    """Anchors whose foreground probability exceeds ``tau`` (Eq. 9).

    Args:
        student_cls (Sequence[Tensor]): Per level, student class logits
            [N_l, C].
        tau (float): The confidence threshold.
        foreground_fn (callable): ``logits [N, C] -> [N]``, the
            foreground probability of the head: for a sigmoid head (the
            default) the class probabilities summed, for a softmax head
            ``1 - p[background]`` (the consistency loss's
            ``foreground_mass``).

    Returns:
        list[Tensor]: Per level, a [N_l] bool mask.
    """
    return [foreground_fn(z) > tau for z in student_cls]


def instance_adversarial_perturbation(
        forward_fn: DenseForward,
        inputs: Tensor,
        student_cls: Sequence[Tensor],
        student_box: Sequence[Tensor],
        loss_fn: ConsistencyFn,
        xi: float,
        eps: float,
        tau: float,
        noise: Optional[Tensor] = None,
        foreground_fn: ForegroundFn = sigmoid_foreground_mass,
        image_index: Optional[Sequence[Tensor]] = None
) -> Tuple[Tensor, Dict[str, Tensor]]:
    """Instance-level adversarial perturbation of the teacher input (Eqs. 8-9).

    VAT's one power-iteration step, restricted to confident anchors:

    1. ``r ~ N(0, I)``, L2-normalised per image;
    2. the teacher (``forward_fn``) sees ``inputs + xi * r``;
    3. the consistency ``loss_fn`` is computed between the (detached)
       student predictions and the teacher's, on the anchors whose student
       foreground confidence (summed over classes) exceeds ``tau`` only;
    4. ``g`` = gradient of that loss with respect to ``r``, and
       ``r_adv = eps * g / ||g||`` per image.

    The gradient is taken with :func:`torch.autograd.grad` with respect to
    ``r`` alone, so no parameter's ``.grad`` is touched and nothing is
    accumulated; the student side is detached. The caller keeps the teacher
    in eval mode (BN statistics are not updated).

    Scale: ``xi`` and ``eps`` are L2 norms per image on the tensor the
    teacher sees (the normalised, padded input), so the perturbation's
    root mean square per element is ``eps / sqrt(C * H * W)``. The
    probe ``xi * r`` may fall below float32's resolution (for the paper's
    ``xi = 5e-7`` at 256 px it changes under 1% of the elements); the
    direction does not depend on it, because autograd differentiates
    through the addition exactly and the consistency between two
    different views has a non-zero gradient at ``r = 0`` (measured:
    cosine >= 0.9999 between the ``r_adv`` of ``xi`` from 5e-7 to 1e-2,
    ``docs/ssmd_gain.md``). ``probe_kept`` reports the share of elements
    the probe changes. The probe (``forward_fn``'s forward and gradient
    included) runs in float32 with autocast disabled, whatever the caller's
    autocast state; ``r_adv`` comes back in ``inputs``' dtype.

    An image none of whose anchors passes ``tau`` (common early in
    training), or whose gradient is not finite, gets no perturbation
    (``r_adv = 0`` for that image): Eq. 9's indicator zeroes ``g`` there,
    and ``g / ||g||`` is then undefined. The counts are returned so the
    caller can log them.

    Args:
        forward_fn (callable): ``x -> (cls, box)``: the teacher's outputs on
            ``x``, aligned to the student's anchors, per level [N_l, C] and
            [N_l, 4], anchors ordered image-major (``N_l = B * M_l``).
            Must be differentiable with respect to ``x``.
        inputs (Tensor): The teacher's (clean) input, [B, C, H, W].
        student_cls (Sequence[Tensor]): Per level student logits, [N_l, C].
        student_box (Sequence[Tensor]): Per level student deltas, [N_l, 4].
        loss_fn (callable): ``(s_cls, t_cls, s_box, t_box) -> Tensor``, the
            consistency cost over per-level lists (levels may be empty).
        xi (float): Scale of the random probe ``r`` (Eq. 8).
        eps (float): L2 norm of the perturbation per image (Eq. 9).
        tau (float): Foreground confidence threshold (Eq. 9).
        noise (Tensor, optional): The probe before normalisation,
            [B, C, H, W]; drawn from N(0, 1) when None (tests fix it).
        foreground_fn (callable): The head's foreground probability,
            ``logits [N, C] -> [N]`` (see :func:`foreground_mask`).
        image_index (Sequence[Tensor], optional): Per level, the image of
            each row, long [N_l] (e.g. RoIs, whose number differs between
            images). None: rows are image-major with the same number per
            image (dense anchors).

    Returns:
        tuple[Tensor, dict]: ``r_adv`` [B, C, H, W] (detached), and
        statistics: ``share_above_tau`` (share of all anchors over all
        levels), ``perturbed_images`` (images with a perturbation),
        ``nonfinite_images`` (images whose gradient was not finite),
        ``perturbation_norm`` (mean L2 norm of ``r_adv`` per image),
        ``perturbation_rms`` (root mean square of ``r_adv`` per element)
        and ``probe_kept`` (share of input elements that ``xi * r``
        changes in float32; 0 when no probe was drawn).
    """
    # the whole probe in float32, whatever the autocast state: xi * r is
    # far below half precision's resolution (docs/methods.md)
    with torch.autocast(device_type=inputs.device.type, enabled=False):
        r_adv, stats = _probe(forward_fn, inputs.float(),
                              [z.float() for z in student_cls],
                              [d.float() for d in student_box], loss_fn, xi,
                              eps, tau, noise, foreground_fn, image_index)
    return r_adv.to(inputs.dtype), stats


def _probe(forward_fn: DenseForward, inputs: Tensor,
           student_cls: Sequence[Tensor], student_box: Sequence[Tensor],
           loss_fn: ConsistencyFn, xi: float, eps: float, tau: float,
           noise: Optional[Tensor], foreground_fn: ForegroundFn,
           image_index: Optional[Sequence[Tensor]]
           ) -> Tuple[Tensor, Dict[str, Tensor]]:
    """:func:`instance_adversarial_perturbation` on float32 inputs."""
    batch = inputs.shape[0]
    masks = foreground_mask(student_cls, tau, foreground_fn)
    num_above = sum(int(m.sum()) for m in masks)
    num_anchors = sum(m.numel() for m in masks)
    stats = dict(
        share_above_tau=inputs.new_tensor(num_above / max(num_anchors, 1)))

    # images with at least one anchor above tau
    has_anchor = torch.zeros(batch, dtype=torch.bool, device=inputs.device)
    for lvl, m in enumerate(masks):
        if image_index is None:  # image-major, same count per image
            has_anchor |= m.view(batch, -1).any(dim=1)
        else:
            has_anchor[image_index[lvl][m]] = True

    r_adv = torch.zeros_like(inputs)
    nonfinite = torch.zeros(batch, dtype=torch.bool, device=inputs.device)
    if num_above > 0:
        if noise is None:
            noise = torch.randn_like(inputs)
        noise = noise.float()
        r, _ = per_image_l2_normalize(noise)
        probe = inputs.detach() + xi * r
        stats['probe_kept'] = (probe != inputs).float().mean()
        r.requires_grad_(True)
        with torch.enable_grad():
            t_cls, t_box = forward_fn(inputs.detach() + xi * r)
            loss = loss_fn([z.detach()[m] for z, m in zip(student_cls, masks)],
                           [z[m] for z, m in zip(t_cls, masks)],
                           [d.detach()[m] for d, m in zip(student_box, masks)],
                           [d[m] for d, m in zip(t_box, masks)])
            grad = None
            if loss.requires_grad:  # False if the loss skips every level
                (grad, ) = torch.autograd.grad(loss, r, allow_unused=True)
        if grad is not None:
            direction, valid = per_image_l2_normalize(grad.detach())
            nonfinite = ~torch.isfinite(grad.flatten(1)).all(dim=1)
            valid = valid & has_anchor
            r_adv = eps * direction * valid.view(-1, *[1] * (inputs.dim() - 1))
    perturbed = r_adv.flatten(1).norm(dim=1) > 0
    stats.setdefault('probe_kept', inputs.new_tensor(0.))
    stats['perturbation_rms'] = r_adv.pow(2).mean().sqrt()
    stats['perturbed_images'] = perturbed.float().sum()
    stats['nonfinite_images'] = nonfinite.float().sum()
    stats['perturbation_norm'] = r_adv.flatten(1).norm(dim=1).mean()
    return r_adv.detach(), stats
