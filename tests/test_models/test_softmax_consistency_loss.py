"""SSMD's cost for softmax heads, from the probabilities (Eq. 4 as written).

The expectation is computed in float64 from explicit probabilities:
``p = exp(z) / sum(exp(z))`` with the background at mmdet's index (the
last, label ``num_classes``), ``W = ((1 - p_s[bg])^2 + (1 - p_t[bg])^2) /
2``, ``KL = sum_k p_t,k log(p_t,k / p_s,k)``.
"""
import pytest
import torch
from mmdet.registry import MODELS

import mmssmd  # noqa: F401
from mmssmd.models.losses import SoftmaxAdaptiveConsistencyLoss


def probabilities(z):
    e = z.double().exp()
    return e / e.sum(dim=1, keepdim=True)


def expected(z_s, z_t, d_s, d_t):
    p_s, p_t = probabilities(z_s), probabilities(z_t)
    w = ((1 - p_s[:, -1])**2 + (1 - p_t[:, -1])**2) / 2
    kl = (p_t * (p_t / p_s).log()).sum(dim=1)
    sq = ((d_s.double() - d_t.double())**2).sum(dim=1)
    return (w * kl).sum() / w.sum(), (w * sq).sum() / w.sum()


def inputs(seed=0, n=50, classes=3):
    g = torch.Generator().manual_seed(seed)
    z_s = torch.randn(n, classes + 1, generator=g) * 2
    z_t = torch.randn(n, classes + 1, generator=g) * 2
    d_s = torch.randn(n, 4, generator=g)
    d_t = torch.randn(n, 4, generator=g)
    return z_s, z_t, d_s, d_t


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_matches_eq4_with_mmdet_background_index(seed):
    z_s, z_t, d_s, d_t = inputs(seed)
    out = SoftmaxAdaptiveConsistencyLoss()([z_s], [z_t], [d_s], [d_t])
    cls, box = expected(z_s, z_t, d_s, d_t)
    assert out['loss_consistency_cls'].item() == pytest.approx(cls.item(),
                                                               rel=1e-5)
    assert out['loss_consistency_box'].item() == pytest.approx(box.item(),
                                                               rel=1e-5)


def test_weight_reads_the_background_column_not_class_zero():
    """Confident foreground (class 0 high, background last low) weighs
    more than confident background; reading ``p[0]`` as the background
    would reverse that."""
    loss = SoftmaxAdaptiveConsistencyLoss()
    fg = torch.tensor([[6., -6.]])  # class 0 certain, background ~0
    bg = torch.tensor([[-6., 6.]])  # background certain
    w_fg = loss([fg], [fg], [torch.zeros(1, 4)],
                [torch.zeros(1, 4)])['consistency_anchor_weight']
    w_bg = loss([bg], [bg], [torch.zeros(1, 4)],
                [torch.zeros(1, 4)])['consistency_anchor_weight']
    assert w_fg.item() == pytest.approx(1.0, abs=1e-4)
    assert w_bg.item() == pytest.approx(0.0, abs=1e-4)


def test_reductions_and_pooling_over_levels():
    z_s, z_t, d_s, d_t = inputs(3, n=40)
    split = [z_s[:25], z_s[25:]], [z_t[:25], z_t[25:]], \
        [d_s[:25], d_s[25:]], [d_t[:25], d_t[25:]]
    pooled = SoftmaxAdaptiveConsistencyLoss()(*split)
    cls, box = expected(z_s, z_t, d_s, d_t)
    assert pooled['loss_consistency_cls'].item() == pytest.approx(
        cls.item(), rel=1e-5)
    # 'mean': per-level mean of W * l, levels summed
    mean = SoftmaxAdaptiveConsistencyLoss(reduction='mean')(*split)
    want = 0.
    for a, b, c, d in zip(*split):
        p_s, p_t = probabilities(a), probabilities(b)
        w = ((1 - p_s[:, -1])**2 + (1 - p_t[:, -1])**2) / 2
        want += (w * (p_t * (p_t / p_s).log()).sum(1)).mean()
    assert mean['loss_consistency_cls'].item() == pytest.approx(want.item(),
                                                                rel=1e-5)


def test_float32_under_bf16_autocast():
    z_s, z_t, d_s, d_t = inputs(4)
    loss = SoftmaxAdaptiveConsistencyLoss()
    ref = loss([z_s], [z_t], [d_s], [d_t])
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss([z_s.bfloat16()], [z_t.bfloat16()], [d_s.bfloat16()],
                   [d_t.bfloat16()])
    for key in ('loss_consistency_cls', 'loss_consistency_box'):
        assert out[key].dtype == torch.float32
        assert torch.isfinite(out[key])
        # the inputs themselves were rounded to bf16
        assert out[key].item() == pytest.approx(ref[key].item(), rel=2e-2)


def test_registered_and_foreground_mass():
    loss = MODELS.build(dict(type='SoftmaxAdaptiveConsistencyLoss'))
    assert not loss.use_sigmoid
    z = torch.tensor([[0., 0., 0.]])  # 3-way uniform: background 1/3
    assert loss.foreground_mass(z).item() == pytest.approx(2 / 3)
    assert loss.foreground(z).item() == pytest.approx(2 / 3)
