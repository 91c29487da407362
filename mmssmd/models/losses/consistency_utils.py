"""Helpers shared by the consistency losses of SSMD and CSD."""
import functools
from typing import Any, Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

BOX_COMPONENTS = ('x', 'y', 'w', 'h')


def bernoulli_kl(target_logits: Tensor, input_logits: Tensor) -> Tensor:
    """KL(target || input) of independent Bernoulli variables, from logits.

    Sigmoid heads (mmdet's RetinaNet) model each class as a Bernoulli
    variable; for one class this is exactly the KL of the paper's two-way
    (foreground/background) softmax.

    Args:
        target_logits (Tensor): Logits of the target distribution, [N, C].
        input_logits (Tensor): Logits of the input distribution, [N, C].

    Returns:
        Tensor: KL per anchor summed over classes, [N].
    """
    log_pt, log_1mpt = F.logsigmoid(target_logits), F.logsigmoid(
        -target_logits)
    log_pi, log_1mpi = F.logsigmoid(input_logits), F.logsigmoid(-input_logits)
    kl = log_pt.exp() * (log_pt - log_pi) + log_1mpt.exp() * (log_1mpt -
                                                              log_1mpi)
    return kl.sum(dim=1)


def softmax_kl(target_logits: Tensor, input_logits: Tensor) -> Tensor:
    """KL(target || input) of categorical (softmax) distributions, from logits.

    Softmax heads (mmdet's ``SSDHead``, the RoI ``BBoxHead``) predict one
    distribution over the classes and the background.

    Args:
        target_logits (Tensor): Logits of the target distribution, [N, C+1].
        input_logits (Tensor): Logits of the input distribution, [N, C+1].

    Returns:
        Tensor: KL per anchor (or proposal), [N].
    """
    log_pt = F.log_softmax(target_logits, dim=1)
    log_pi = F.log_softmax(input_logits, dim=1)
    return (log_pt.exp() * (log_pt - log_pi)).sum(dim=1)


def _to_float32(value: Any) -> Any:
    """``value`` with half-precision tensors (also inside lists and
    tuples) cast to float32; anything else unchanged."""
    if isinstance(value, torch.Tensor):
        return value.float() if value.dtype in (torch.float16,
                                                torch.bfloat16) else value
    if isinstance(value, (list, tuple)):
        return type(value)(_to_float32(v) for v in value)
    return value


def _device_type(values: Sequence[Any]) -> str:
    """Device type of the first tensor in ``values`` (or in a list among
    them); ``'cpu'`` when there is none."""
    for value in values:
        if isinstance(value, (list, tuple)) and value:
            value = value[0]
        if isinstance(value, torch.Tensor):
            return value.device.type
    return 'cpu'


def float32_forward(forward: Callable) -> Callable:
    """Run a loss's ``forward`` in float32 whatever the autocast state.

    Half-precision tensor arguments (also in lists / tuples) are cast to
    float32 and autocast is disabled for the call, so logs, exponentials
    and squared differences of small deltas keep float32's precision under
    ``AmpOptimWrapper`` (see docs/methods.md#mixed-precision). Gradients
    flow back through the casts.

    Args:
        forward (callable): A method ``forward(self, *args, **kwargs)``.

    Returns:
        callable: The wrapped method.
    """

    @functools.wraps(forward)
    def wrapper(self, *args, **kwargs):
        device_type = _device_type(list(args) + list(kwargs.values()))
        with torch.autocast(device_type=device_type, enabled=False):
            return forward(self, *_to_float32(args),
                           **{k: _to_float32(v) for k, v in kwargs.items()})

    return wrapper


def box_component_indices(components: Sequence[str]) -> List[int]:
    """Validate ``components`` and return the used box-delta columns.

    Args:
        components (Sequence[str]): A non-empty subset of ``'c'`` (class)
            and ``'x', 'y', 'w', 'h'`` (box deltas).

    Returns:
        list[int]: Indices of the used deltas among (dx, dy, dw, dh).
    """
    unknown = set(components) - {'c', *BOX_COMPONENTS}
    if unknown or not components:
        raise ValueError(f'components must be a non-empty subset of '
                         f'c, x, y, w, h; got {components}')
    return [i for i, k in enumerate(BOX_COMPONENTS) if k in components]


def foreground_confidence(cls_logits: Tensor) -> Tensor:
    """Detached foreground confidence of sigmoid logits [N, C]: the
    largest class probability, [N]."""
    return cls_logits.detach().sigmoid().max(dim=1).values


def sigmoid_foreground_mass(cls_logits: Tensor) -> Tensor:
    """Detached foreground probability of sigmoid logits [N, C] summed over
    the classes, [N] (IAP's confidence, Eq. 9)."""
    return cls_logits.detach().sigmoid().sum(dim=1)


def softmax_foreground(cls_logits: Tensor) -> Tensor:
    """Detached ``1 - p[background]`` of softmax logits [N, C+1], [N].

    mmdet's softmax heads (``SSDHead``, ``BBoxHead``) put the background
    at the last index (label ``num_classes``); the paper's ``p[0]``.
    """
    return 1 - cls_logits.detach().softmax(dim=1)[:, -1]


def used_levels(levels: Optional[Tuple[int, ...]],
                num_levels: int) -> Sequence[int]:
    """The pyramid levels a loss uses: all when ``levels`` is None.

    Raises:
        ValueError: When a level index is not below ``num_levels``.
    """
    used = range(num_levels) if levels is None else levels
    if max(used) >= num_levels:
        raise ValueError(f'levels {levels} but the head has '
                         f'{num_levels} levels')
    return used


class BaseConsistencyLoss(nn.Module):
    """Options common to the dense consistency losses.

    The class distribution is a sigmoid head's (independent Bernoulli per
    class, background implicit); subclasses for softmax heads override
    ``use_sigmoid``, :meth:`class_kl`, :meth:`foreground` and
    :meth:`foreground_mass`.

    Args:
        components (Sequence[str]): Which terms to use among ``'c'`` (class
            KL) and ``'x', 'y', 'w', 'h'`` (box deltas).
        levels (Sequence[int], optional): Indices of the pyramid levels used,
            finest first; None uses every level.
        loss_weight (float): Multiplier of both terms.
    """

    def __init__(self,
                 components: Sequence[str] = ('c', 'x', 'y', 'w', 'h'),
                 levels: Optional[Sequence[int]] = None,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.box_indices = box_component_indices(components)
        self.components = tuple(components)
        self.levels = None if levels is None else tuple(levels)
        self.loss_weight = loss_weight

    use_sigmoid = True

    @staticmethod
    def class_kl(target_logits: Tensor, input_logits: Tensor) -> Tensor:
        """KL(target || input) per row, [N] (:func:`bernoulli_kl`)."""
        return bernoulli_kl(target_logits, input_logits)

    @staticmethod
    def foreground(cls_logits: Tensor) -> Tensor:
        """Detached foreground confidence per row, [N]: the largest class
        probability (:func:`foreground_confidence`)."""
        return foreground_confidence(cls_logits)

    @staticmethod
    def foreground_mass(cls_logits: Tensor) -> Tensor:
        """Detached foreground probability per row summed over classes,
        [N]: IAP's confidence (:func:`sigmoid_foreground_mass`)."""
        return sigmoid_foreground_mass(cls_logits)

    def level_inputs(
        self, student_cls: Sequence[Tensor], teacher_cls: Sequence[Tensor],
        student_box: Sequence[Tensor], teacher_box: Sequence[Tensor]
    ) -> Tuple[List[Tuple[Tensor, ...]], int, Tensor]:
        """The inputs of the used, non-empty levels.

        Returns:
            tuple: per used non-empty level ``(z_s, z_t, d_s, d_t, fg_s)``
            with ``fg_s`` the detached student foreground confidence (the
            largest class probability), [N_l]; the number of used levels
            (empty ones included); and a zero that keeps the graph and
            dtype of ``student_cls``.
        """
        levels = used_levels(self.levels, len(student_cls))
        inputs = [(student_cls[lvl], teacher_cls[lvl], student_box[lvl],
                   teacher_box[lvl], self.foreground(student_cls[lvl]))
                  for lvl in levels if student_cls[lvl].numel() > 0]
        return inputs, len(levels), student_cls[0].sum() * 0

    def output(self, cls_loss: Tensor, box_loss: Tensor,
               weight_stat: Tensor) -> dict:
        """The loss dict: both terms times ``loss_weight``, and the
        logged anchor statistic."""
        return dict(loss_consistency_cls=self.loss_weight * cls_loss,
                    loss_consistency_box=self.loss_weight * box_loss,
                    consistency_anchor_weight=weight_stat)
