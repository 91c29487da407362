"""AdaptiveConsistencyLoss (Eqs. 4-5) and CSDConsistencyLoss against hand
computations."""
import math

import pytest
import torch

from mmdet.registry import MODELS

from mmssmd.models.losses import AdaptiveConsistencyLoss, CSDConsistencyLoss


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def kl(pt, ps):
    return pt * math.log(pt / ps) + (1 - pt) * math.log((1 - pt) / (1 - ps))


Z_S = [0.0, 2.0, -1.0]
Z_T = [1.0, -1.0, -1.0]
D_S = [[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 0.5, 0.0]]
D_T = [[0.0, 0.2, 0.1, 0.4], [0.5, 0.5, 0.0, 0.0], [1.0, -1.0, 0.5, 0.0]]


def tensors():
    z_s = torch.tensor(Z_S).view(-1, 1).requires_grad_()
    d_s = torch.tensor(D_S).requires_grad_()
    return z_s, torch.tensor(Z_T).view(-1, 1), d_s, torch.tensor(D_T)


def hand_adaptive(components='cxywh', reduction='weighted_mean'):
    cls_terms, box_terms, weights = [], [], []
    for zs, zt, ds, dt in zip(Z_S, Z_T, D_S, D_T):
        ps, pt = sigmoid(zs), sigmoid(zt)
        w = ((1 - (1 - ps))**2 + (1 - (1 - pt))**2) / 2  # 1 - p[bg] = p[fg]
        weights.append(w)
        cls_terms.append(w * kl(pt, ps) if 'c' in components else 0.)
        box_terms.append(w * sum((ds[k] - dt[k])**2
                                 for k, name in enumerate('xywh')
                                 if name in components))
    denom = {
        'mean': len(Z_S),  # every anchor
        'weighted_mean': sum(weights),
        # anchors whose student foreground beats background: only z_s = 2
        'foreground': 1,
    }[reduction]
    return sum(cls_terms) / denom, sum(box_terms) / denom


@pytest.mark.parametrize('reduction', ['mean', 'weighted_mean', 'foreground'])
def test_adaptive_cost_matches_hand_computation(reduction):
    z_s, z_t, d_s, d_t = tensors()
    out = AdaptiveConsistencyLoss(reduction=reduction)([z_s], [z_t], [d_s],
                                                       [d_t])
    cls, box = hand_adaptive(reduction=reduction)
    assert out['loss_consistency_cls'].item() == pytest.approx(cls, rel=1e-5)
    assert out['loss_consistency_box'].item() == pytest.approx(box, rel=1e-5)
    w = [(sigmoid(a)**2 + sigmoid(b)**2) / 2 for a, b in zip(Z_S, Z_T)]
    assert out['consistency_anchor_weight'].item() == pytest.approx(
        sum(w) / 3, rel=1e-5)


def test_weighted_mean_ignores_the_number_of_background_anchors():
    """Adding confidently-background anchors (W ~ 0) leaves the weighted
    mean unchanged, while the paper-literal mean shrinks with them."""
    z_s, z_t, d_s, d_t = tensors()
    bg = torch.full((1000, 1), -30.)
    more = ([torch.cat([z_s, bg])], [torch.cat([z_t, bg])],
            [torch.cat([d_s, torch.zeros(1000, 4)])],
            [torch.cat([d_t, torch.ones(1000, 4)])])
    weighted = AdaptiveConsistencyLoss(reduction='weighted_mean')
    mean = AdaptiveConsistencyLoss(reduction='mean')
    for name in ('loss_consistency_cls', 'loss_consistency_box'):
        assert weighted(*more)[name].item() == pytest.approx(
            weighted([z_s], [z_t], [d_s], [d_t])[name].item(), rel=1e-5)
        assert mean(*more)[name].item() == pytest.approx(
            mean([z_s], [z_t], [d_s], [d_t])[name].item() * 3 / 1003,
            rel=1e-4)
    with pytest.raises(ValueError, match='reduction'):
        AdaptiveConsistencyLoss(reduction='sum')


def test_gradient_of_kl_is_weighted_sigmoid_difference():
    """W is a weight (detached): d/dz_s of W*KL(p_t||p_s) = W (p_s - p_t)."""
    z_s, z_t, d_s, d_t = tensors()
    out = AdaptiveConsistencyLoss(components=('c', ), reduction='mean')(
        [z_s], [z_t], [d_s], [d_t])
    out['loss_consistency_cls'].backward()
    for i, (zs, zt) in enumerate(zip(Z_S, Z_T)):
        ps, pt = sigmoid(zs), sigmoid(zt)
        w = (ps**2 + pt**2) / 2
        assert z_s.grad[i, 0].item() == pytest.approx(w * (ps - pt) / 3,
                                                      rel=1e-5, abs=1e-8)
    assert d_s.grad is None


@pytest.mark.parametrize('components', ['c', 'x', 'yh', 'xywh'])
def test_component_selection(components):
    z_s, z_t, d_s, d_t = tensors()
    out = AdaptiveConsistencyLoss(components=tuple(components))([z_s], [z_t],
                                                                [d_s], [d_t])
    cls, box = hand_adaptive(components)
    assert out['loss_consistency_cls'].item() == pytest.approx(cls, abs=1e-7)
    assert out['loss_consistency_box'].item() == pytest.approx(box, abs=1e-7)


def test_zero_when_teacher_equals_student():
    z_s, _, d_s, _ = tensors()
    out = AdaptiveConsistencyLoss()([z_s], [z_s.detach()], [d_s],
                                    [d_s.detach()])
    assert out['loss_consistency_cls'].item() == pytest.approx(0, abs=1e-7)
    assert out['loss_consistency_box'].item() == 0


def test_levels_weigh_one_each_and_can_be_selected():
    z_s, z_t, d_s, d_t = tensors()
    # paper-literal mean: a per-level mean, levels summed
    cls, box = hand_adaptive(reduction='mean')
    two = AdaptiveConsistencyLoss(reduction='mean')(
        [z_s, z_s], [z_t, z_t], [d_s, d_s], [d_t, d_t])
    assert two['loss_consistency_cls'].item() == pytest.approx(2 * cls,
                                                               rel=1e-5)
    # weighted mean: pooled over the levels, a weighted average of l
    cls, box = hand_adaptive(reduction='weighted_mean')
    two = AdaptiveConsistencyLoss()([z_s, z_s], [z_t, z_t], [d_s, d_s],
                                    [d_t, d_t])
    assert two['loss_consistency_cls'].item() == pytest.approx(cls, rel=1e-5)
    # level 1 holds garbage that must not count when only level 0 is used
    garbage = torch.full_like(z_t, 9.)
    one = AdaptiveConsistencyLoss(levels=(0, ))([z_s, z_s], [z_t, garbage],
                                                [d_s, d_s], [d_t, d_t + 5])
    assert one['loss_consistency_cls'].item() == pytest.approx(cls, rel=1e-5)
    assert one['loss_consistency_box'].item() == pytest.approx(box, rel=1e-5)
    with pytest.raises(ValueError, match='levels'):
        AdaptiveConsistencyLoss(levels=(0, 3))([z_s], [z_t], [d_s], [d_t])


def test_background_level_counts_by_its_weights_only():
    """A level of confident background with large box disagreements adds
    (almost) nothing to the weighted mean: pooling over levels keeps a
    background-only level from being normalised up to full weight."""
    z_s, z_t, d_s, d_t = tensors()
    bg = torch.full((50, 1), -12.)
    loss = AdaptiveConsistencyLoss()
    alone = loss([z_s], [z_t], [d_s], [d_t])
    both = loss([z_s, bg], [z_t, bg], [d_s, torch.zeros(50, 4)],
                [d_t, torch.full((50, 4), 3.)])
    assert both['loss_consistency_box'].item() == pytest.approx(
        alone['loss_consistency_box'].item(), rel=1e-6)


def test_csd_cost_matches_hand_computation():
    """Background elimination on the student, symmetric KL."""
    z_s, z_t, d_s, d_t = tensors()
    out = CSDConsistencyLoss()([z_s], [z_t], [d_s], [d_t])
    # p_s = sigmoid(0)=0.5 (not > bg), sigmoid(2) (kept), sigmoid(-1) (not)
    ps, pt = sigmoid(2.0), sigmoid(-1.0)
    assert out['loss_consistency_cls'].item() == pytest.approx(
        (kl(pt, ps) + kl(ps, pt)) / 2, rel=1e-5)
    assert out['loss_consistency_box'].item() == pytest.approx(
        (0.5**2 + 0.5**2) / 4, rel=1e-5)
    assert out['consistency_anchor_weight'].item() == pytest.approx(1 / 3)


def test_csd_cost_is_zero_without_foreground():
    z_s = torch.full((4, 1), -3.0, requires_grad=True)
    out = CSDConsistencyLoss()(
        [z_s], [torch.zeros(4, 1)], [torch.zeros(4, 4)], [torch.ones(4, 4)])
    assert out['loss_consistency_cls'].item() == 0
    assert out['loss_consistency_box'].item() == 0


@pytest.mark.parametrize('loss', [AdaptiveConsistencyLoss, CSDConsistencyLoss])
def test_rejects_unknown_components(loss):
    with pytest.raises(ValueError, match='components'):
        loss(components=('c', 'z'))
    with pytest.raises(ValueError, match='components'):
        loss(components=())


def test_adaptive_flag_is_gone():
    """The two costs are two registered types; the old flag fails loudly."""
    with pytest.raises(TypeError, match='adaptive'):
        MODELS.build(dict(type='AdaptiveConsistencyLoss', adaptive=False))
    with pytest.raises(TypeError, match='reduction'):
        CSDConsistencyLoss(reduction='mean')
    assert isinstance(MODELS.build(dict(type='CSDConsistencyLoss')),
                      CSDConsistencyLoss)


def test_csd_cost_components_levels_and_weight():
    """Box term over the selected components only, levels summed (each a
    mean over its kept anchors), unused levels ignored, loss_weight."""
    z_s, z_t, d_s, d_t = tensors()
    ps, pt = sigmoid(2.0), sigmoid(-1.0)
    sym = (kl(pt, ps) + kl(ps, pt)) / 2
    out = CSDConsistencyLoss(components=('c', 'x'), loss_weight=0.5)(
        [z_s, z_s], [z_t, z_t], [d_s, d_s], [d_t, d_t])
    assert out['loss_consistency_cls'].item() == pytest.approx(
        0.5 * 2 * sym, rel=1e-5)
    assert out['loss_consistency_box'].item() == pytest.approx(
        0.5 * 2 * 0.5**2, rel=1e-5)
    garbage = torch.full_like(z_t, 9.)
    one = CSDConsistencyLoss(components=('y', ), levels=(1, ))(
        [z_s, z_s], [garbage, z_t], [d_s + 3, d_s], [d_t, d_t])
    assert one['loss_consistency_cls'].item() == 0
    assert one['loss_consistency_box'].item() == pytest.approx(0.5**2,
                                                              rel=1e-5)
    with pytest.raises(ValueError, match='levels'):
        CSDConsistencyLoss(levels=(2, ))([z_s], [z_t], [d_s], [d_t])


def test_csd_cost_gradients_reach_both_views():
    """Symmetric KL with a stop-gradient on each target side: both views
    get a gradient, d/dz_s = (p_s - p_t) / 2 and d/dz_t = (p_t - p_s) / 2
    at kept anchors."""
    z_s, z_t, d_s, d_t = tensors()
    z_t.requires_grad_()
    d_t.requires_grad_()
    out = CSDConsistencyLoss()([z_s], [z_t], [d_s], [d_t])
    (out['loss_consistency_cls'] + out['loss_consistency_box']).backward()
    ps, pt = sigmoid(2.0), sigmoid(-1.0)
    assert z_s.grad[1, 0].item() == pytest.approx((ps - pt) / 2, rel=1e-5)
    assert z_t.grad[1, 0].item() == pytest.approx((pt - ps) / 2, rel=1e-5)
    # dropped anchors get nothing; box gradients are opposite
    assert z_s.grad[0, 0].item() == 0 and z_s.grad[2, 0].item() == 0
    assert torch.equal(d_s.grad, -d_t.grad)
    assert d_s.grad[1, 0].item() == pytest.approx(2 * -0.5 / 4)
