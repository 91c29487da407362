"""SoftFocalLoss: mmdet's focal loss on hard targets, the formula on soft."""
import math

import pytest
import torch
from mmdet.models.losses import FocalLoss
from mmdet.models.losses.focal_loss import py_sigmoid_focal_loss
from mmdet.registry import MODELS

import mmssmd  # noqa: F401
from mmssmd.models.losses import SoftFocalLoss, soft_focal_loss


def test_hard_targets_equal_mmdet_focal_loss_with_alpha_a1():
    """a0 = 1 - a1: exactly mmdet's focal loss with alpha = a1."""
    torch.manual_seed(0)
    pred = torch.randn(50, 3) * 3
    labels = torch.randint(0, 4, (50, ))  # 3 = background
    weight = torch.rand(50)
    for a1 in (0.95, 0.25, 0.6):
        ours = SoftFocalLoss(alpha0=1 - a1, alpha1=a1, gamma=2.0)
        theirs = FocalLoss(use_sigmoid=True, alpha=a1, gamma=2.0)
        for kwargs in (dict(), dict(weight=weight, avg_factor=7.0)):
            torch.testing.assert_close(
                ours(pred, labels, **kwargs), theirs(pred, labels, **kwargs))
        one_hot = torch.nn.functional.one_hot(labels, 4)[:, :3]
        torch.testing.assert_close(
            ours(pred, one_hot, reduction_override='none'),
            py_sigmoid_focal_loss(pred, one_hot, gamma=2.0, alpha=a1,
                                  reduction='none'))


def test_paper_values_are_not_retinanet_alpha():
    """0.05 / 0.95 is mmdet alpha 0.95, and differs from alpha 0.25."""
    pred = torch.tensor([[2.0], [-1.0]])
    labels = torch.tensor([0, 1])
    paper = SoftFocalLoss()(pred, labels, reduction_override='sum')
    torch.testing.assert_close(
        paper, FocalLoss(alpha=0.95)(pred, labels, reduction_override='sum'))
    assert not torch.allclose(
        paper, FocalLoss(alpha=0.25)(pred, labels, reduction_override='sum'))


def test_soft_targets_match_a_hand_computation():
    z, y = 0.3, 0.7
    p = 1 / (1 + math.exp(-z))
    bce = -(y * math.log(p) + (1 - y) * math.log(1 - p))
    expected = (0.05 + y * (0.95 - 0.05)) * abs(y - p)**2 * bce
    got = SoftFocalLoss()(torch.tensor([[z]]), torch.tensor([[y]]),
                          reduction_override='none')
    assert got.item() == pytest.approx(expected, rel=1e-6)
    # and mmdet's focal loss is a different number for this soft target
    mmdet = py_sigmoid_focal_loss(torch.tensor([[z]]), torch.tensor([[y]]),
                                  alpha=0.95, reduction='none')
    assert abs(mmdet.item() - expected) > 1e-3


def test_soft_target_minimum_is_at_the_target():
    """SFL(p = y) = 0 with zero gradient; mmdet's is not zero there."""
    y = torch.tensor([[0.2, 0.5, 0.9]])
    logit = torch.log(y / (1 - y)).requires_grad_()
    loss = SoftFocalLoss()(logit, y, reduction_override='sum')
    loss.backward()
    assert loss.item() == pytest.approx(0.0, abs=1e-12)
    torch.testing.assert_close(logit.grad, torch.zeros_like(y))
    assert py_sigmoid_focal_loss(logit.detach(), y, alpha=0.95,
                                 reduction='sum').item() > 1e-3


def test_weights_reduction_and_gradients():
    torch.manual_seed(1)
    pred = torch.randn(6, 2, requires_grad=True)
    target = torch.rand(6, 2)
    weight = torch.tensor([1., 0., 1., 0., 1., 1.])
    elem = soft_focal_loss(pred, target)
    loss = SoftFocalLoss(loss_weight=2.0)(pred, target, weight,
                                          avg_factor=4.0)
    torch.testing.assert_close(loss, 2.0 * (elem * weight[:, None]).sum() / 4)
    loss.backward()
    assert pred.grad[1].abs().sum() == 0 and pred.grad[3].abs().sum() == 0
    assert pred.grad[0].abs().sum() > 0
    assert SoftFocalLoss(reduction='mean')(pred, target).item() == \
        pytest.approx(elem.mean().item())


def test_bad_arguments_are_errors():
    with pytest.raises(ValueError, match='use_sigmoid'):
        SoftFocalLoss(use_sigmoid=False)
    with pytest.raises(ValueError, match='shape'):
        SoftFocalLoss()(torch.zeros(3, 2), torch.zeros(3, 3))


def test_usable_as_retinahead_loss_cls():
    head = MODELS.build(dict(
        type='RetinaHead', num_classes=1, in_channels=8, stacked_convs=1,
        feat_channels=8,
        anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4,
                              scales_per_octave=1, ratios=[1.0],
                              strides=[8]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder'),
        loss_cls=dict(type='SoftFocalLoss', use_sigmoid=True)))
    assert head.cls_out_channels == 1 and head.use_sigmoid_cls
