from typing import Dict, Sequence, Union

import torch
from torch import Tensor

LossValue = Union[Tensor, Sequence[Tensor]]


def _total(losses: Dict[str, LossValue], prefix: str) -> Tensor:
    values = []
    for name, value in losses.items():
        if not (name.startswith(prefix) and 'loss' in name):
            continue
        if isinstance(value, Tensor):
            values.append(value.detach().sum())
        else:
            values.extend(v.detach().sum() for v in value)
    return torch.stack(values).sum()


def consistency_ratio(losses: Dict[str, LossValue], cons_prefix: str,
                      sup_prefix: str) -> Tensor:
    """The consistency terms' share relative to the supervised terms.

    ``sum(cons_*) / sum(sup_*)`` over the loss entries whose names start
    with the prefixes (and hold ``loss``, as mmengine sums them), detached:
    a logging value (its name must not contain ``loss``) that shows
    whether the unlabeled images can move the student at all.

    Args:
        losses (dict): The detector's loss dict.
        cons_prefix (str): Prefix of the consistency entries.
        sup_prefix (str): Prefix of the supervised entries.

    Returns:
        Tensor: A scalar; 0 when the supervised total is 0.
    """
    cons = _total(losses, cons_prefix)
    sup = _total(losses, sup_prefix)
    return torch.where(sup > 0, cons / sup.clamp_min(1e-12),
                       torch.zeros_like(sup))
