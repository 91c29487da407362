"""Instance-level adversarial perturbation (Eqs. 8-9) and its use in SSMD."""
import pytest
import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmengine.logging import MessageHub

import mmssmd  # noqa: F401
from mmssmd.models.utils import flatten_levels, flip_column_pairing
from mmssmd.models.utils import (foreground_mask,
                                 instance_adversarial_perturbation,
                                 per_image_l2_normalize)

from test_ssmd import batch, build_ssmd  # noqa: E402 (same folder)

B, C, H, W = 3, 3, 8, 8
NUM_CLASSES = 1


class TinyDense(nn.Module):
    """A fixed nonlinear dense 'teacher': one anchor per pixel."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(
            nn.Conv2d(C, 8, 3, padding=1), nn.Tanh(),
            nn.Conv2d(8, NUM_CLASSES + 4, 3, padding=1))

    def forward(self, x):
        out = self.net(x).permute(0, 2, 3, 1).reshape(-1, NUM_CLASSES + 4)
        return [out[:, :NUM_CLASSES]], [out[:, NUM_CLASSES:]]


def consistency(loss_type='AdaptiveConsistencyLoss'):
    loss = MODELS.build(dict(type=loss_type))

    def fn(s_cls, t_cls, s_box, t_box):
        out = loss(s_cls, t_cls, s_box, t_box)
        return out['loss_consistency_cls'] + out['loss_consistency_box']

    return fn


def student_outputs(confident_per_image=(5, 0, 12)):
    """Student logits: a given number of confident anchors per image."""
    g = torch.Generator().manual_seed(1)
    cls = torch.randn(B * H * W, NUM_CLASSES, generator=g) - 4  # p < 0.2
    for i, k in enumerate(confident_per_image):
        cls[i * H * W:i * H * W + k] = 4.0  # sigmoid(4) = 0.982 > 0.95
    box = torch.randn(B * H * W, 4, generator=g)
    return [cls], [box]


def masked_loss(model, x, s_cls, s_box, tau, fn):
    masks = foreground_mask(s_cls, tau)
    t_cls, t_box = model(x)
    return fn([z[m] for z, m in zip(s_cls, masks)],
              [z[m] for z, m in zip(t_cls, masks)],
              [d[m] for d, m in zip(s_box, masks)],
              [d[m] for d, m in zip(t_box, masks)])


def test_per_image_normalisation():
    x = torch.zeros(3, 2, 4, 4)
    x[0] = 3.0
    x[1, 0, 0, 0] = 1e-30  # would underflow a plain norm
    x[2, 0, 0, 0] = float('nan')
    unit, valid = per_image_l2_normalize(x)
    assert valid.tolist() == [True, True, False]
    assert unit[0].norm() == pytest.approx(1.0)
    assert unit[1].norm() == pytest.approx(1.0)
    assert unit[2].abs().sum() == 0


def test_summed_foreground_probability_threshold():
    logits = torch.tensor([[0.0, 0.0], [2.0, 2.0], [3.0, -9.0]])
    # summed foreground probabilities: 1.0, 1.76, 0.95
    assert foreground_mask([logits], 0.96)[0].tolist() == [True, True, False]
    assert foreground_mask([logits], 0.9)[0].tolist() == [True, True, True]


def test_perturbation_has_norm_eps_per_image_and_zero_without_anchors():
    model = TinyDense()
    x = torch.randn(B, C, H, W)
    s_cls, s_box = student_outputs((5, 0, 12))
    r_adv, stats = instance_adversarial_perturbation(
        model, x, s_cls, s_box, consistency(), xi=5e-7, eps=2.0, tau=0.95)
    norms = r_adv.flatten(1).norm(dim=1)
    # image 1 has no anchor above tau: no perturbation (documented choice)
    assert norms.tolist() == pytest.approx([2.0, 0.0, 2.0], abs=1e-5)
    assert stats['share_above_tau'] == pytest.approx(17 / (B * H * W))
    assert stats['perturbed_images'] == 2
    assert stats['nonfinite_images'] == 0
    assert stats['perturbation_norm'] == pytest.approx(4.0 / 3, abs=1e-5)
    assert not r_adv.requires_grad

    none = student_outputs((0, 0, 0))
    r_adv, stats = instance_adversarial_perturbation(
        model, x, *none, consistency(), xi=5e-7, eps=2.0, tau=0.95)
    assert r_adv.abs().sum() == 0 and stats['share_above_tau'] == 0


def test_direction_is_the_normalised_gradient_of_the_masked_loss():
    """At the paper's tiny xi, g is the gradient at the clean input."""
    model = TinyDense()
    x = torch.randn(B, C, H, W)
    s_cls, s_box = student_outputs((5, 3, 12))
    fn = consistency()
    r_adv, _ = instance_adversarial_perturbation(
        model, x, s_cls, s_box, fn, xi=5e-7, eps=1.0, tau=0.95)
    x_req = x.clone().requires_grad_(True)
    (grad, ) = torch.autograd.grad(
        masked_loss(model, x_req, s_cls, s_box, 0.95, fn), x_req)
    expected = grad / grad.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    torch.testing.assert_close(r_adv, expected, atol=1e-4, rtol=1e-3)


@pytest.mark.parametrize('loss_type',
                         ['AdaptiveConsistencyLoss', 'CSDConsistencyLoss'])
def test_adversarial_direction_beats_random_directions(loss_type):
    model = TinyDense()
    fn = consistency(loss_type)
    s_cls, s_box = student_outputs((10, 6, 12))
    eps = 0.5
    gains_adv, gains_rand = [], []
    g = torch.Generator().manual_seed(2)
    for _ in range(8):
        x = torch.randn(B, C, H, W, generator=g)
        with torch.no_grad():
            clean = masked_loss(model, x, s_cls, s_box, 0.95, fn)
        r_adv, _ = instance_adversarial_perturbation(
            model, x, s_cls, s_box, fn, xi=5e-7, eps=eps, tau=0.95)
        with torch.no_grad():
            gains_adv.append(
                masked_loss(model, x + r_adv, s_cls, s_box, 0.95, fn) - clean)
            for _ in range(5):
                r, _ = per_image_l2_normalize(
                    torch.randn(B, C, H, W, generator=g))
                gains_rand.append(
                    masked_loss(model, x + eps * r, s_cls, s_box, 0.95, fn) -
                    clean)
    adv = torch.stack(gains_adv).mean()
    rand = torch.stack(gains_rand)
    assert adv > 0
    # far above what random directions of the same norm achieve
    assert adv > rand.mean() + 3 * rand.std()
    assert adv > 5 * rand.abs().mean()


def test_anchors_below_tau_do_not_influence_the_direction():
    model = TinyDense()
    x = torch.randn(B, C, H, W)
    s_cls, s_box = student_outputs((5, 3, 12))
    noise = torch.randn(B, C, H, W)
    kwargs = dict(xi=5e-7, eps=2.0, tau=0.95, noise=noise)
    r1, _ = instance_adversarial_perturbation(model, x, s_cls, s_box,
                                              consistency(), **kwargs)
    below = ~foreground_mask(s_cls, 0.95)[0]
    cls2, box2 = s_cls[0].clone(), s_box[0].clone()
    cls2[below] = torch.rand(int(below.sum()), 1) * 2 - 3  # still < tau
    box2[below] = torch.randn(int(below.sum()), 4) * 10
    r2, _ = instance_adversarial_perturbation(model, x, [cls2], [box2],
                                              consistency(), **kwargs)
    torch.testing.assert_close(r1, r2)
    # ... while an above-tau anchor does
    cls3 = s_cls[0].clone()
    box3 = s_box[0].clone()
    box3[~below] += 3.0
    r3, _ = instance_adversarial_perturbation(model, x, [cls3], [box3],
                                              consistency(), **kwargs)
    assert not torch.allclose(r1, r3)


def ssmd_with_confident_student():
    model = build_ssmd()
    model.train()
    # a student head bias making every anchor confident, so IAP has work
    model.student.bbox_head.retina_cls.bias.data.fill_(4.0)
    return model


def test_ssmd_adversarial_pass_touches_no_parameter_or_gradient():
    model = ssmd_with_confident_student()
    inputs, samples = batch()
    for p in model.parameters():
        p.grad = None
    for p in model.student.parameters():
        p.grad = torch.full_like(p, 0.5)
    model.set_adversarial(dict(xi=5e-7, eps=2.0, tau=0.95))
    t_in = torch.rand(4, 3, 64, 64)
    with torch.no_grad():
        s_cls, s_box = model.student.bbox_head(
            model.student.extract_feat(t_in))
    valid = [
        v for _, v in flip_column_pairing(
            model.student.bbox_head.prior_generator,
            [c.shape[-1] for c in s_cls], 64)
    ]
    s_cls, s_box = flatten_levels(s_cls, s_box, 1, valid)
    params = {n: p.detach().clone() for n, p in model.named_parameters()}
    buffers = {n: b.clone() for n, b in model.named_buffers()}
    r_adv = model.adversarial_perturbation(t_in, s_cls, s_box)
    assert r_adv.flatten(1).norm(dim=1).tolist() == pytest.approx([2.0] * 4,
                                                                   abs=1e-4)
    for n, p in model.named_parameters():
        assert torch.equal(p, params[n]), n
        if n.startswith('student.'):
            assert torch.equal(p.grad, torch.full_like(p, 0.5)), n
        else:
            assert p.grad is None, n
    for n, b in model.named_buffers():
        assert torch.equal(b, buffers[n]), n
    assert not model.teacher.training


def test_ssmd_feeds_the_perturbed_view_to_the_teacher(monkeypatch):
    model = ssmd_with_confident_student()
    inputs, samples = batch()
    seen = []
    original = model.teacher_outputs

    def spy(x, width):
        seen.append(x.clone())
        return original(x, width)

    monkeypatch.setattr(model, 'teacher_outputs', spy)
    monkeypatch.setattr(model, 'teacher_inputs', lambda x: x.flip(-1))
    model.set_adversarial(dict(xi=5e-7, eps=2.0, tau=0.95))
    losses = model.loss(inputs, samples)
    assert all(torch.isfinite(v).all() for v in losses.values()
               if isinstance(v, torch.Tensor))
    clean = torch.cat([inputs['sup'], inputs['unsup']]).flip(-1)
    (teacher_in, ) = seen
    delta = (teacher_in - clean).flatten(1).norm(dim=1)
    assert delta.tolist() == pytest.approx([2.0] * 4, abs=1e-4)
    assert 0.5 < model.adversarial_stats['share_above_tau'] <= 1.0
    assert model.adversarial_stats['perturbed_images'] == 4
    # off again: the teacher sees the clean view
    seen.clear()
    model.set_adversarial(None)
    model.loss(inputs, samples)
    torch.testing.assert_close(seen[0], clean)
    assert model.adversarial_stats == {}


def test_set_adversarial_validates():
    model = build_ssmd()
    with pytest.raises(ValueError, match='xi, eps and tau'):
        model.set_adversarial(dict(xi=1e-7, eps=1.0))
    with pytest.raises(ValueError, match='>= 0'):
        model.set_adversarial(dict(xi=1e-7, eps=-1.0, tau=0.9))


def test_nonfinite_consistency_is_zeroed_logged_and_stops_when_repeated(
        monkeypatch):
    logged = []
    monkeypatch.setattr('mmssmd.models.detectors.ssmd.print_log',
                        lambda msg, **kwargs: logged.append(msg))
    model = build_ssmd(max_consecutive_nonfinite=3)
    model.train()
    inputs, samples = batch()
    MessageHub.get_current_instance().update_info('iter', 41)
    model.teacher.bbox_head.retina_cls.bias.data.fill_(float('nan'))
    for step in range(2):
        losses = model.loss(inputs, samples)
        assert losses['cons_loss_cls'] == 0 and losses['cons_loss_bbox'] == 0
        assert torch.isfinite(losses['sup_loss_cls'][0]) if isinstance(
            losses['sup_loss_cls'], list) else torch.isfinite(
                losses['sup_loss_cls'])
        total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v)
                    for k, v in losses.items() if 'loss' in k)
        total.backward()
        grads = [p.grad for p in model.student.parameters()
                 if p.grad is not None]
        assert grads and all(torch.isfinite(g).all() for g in grads)
    text = ' '.join(logged)
    assert 'non-finite class' in text and 'iteration 41' in text
    with pytest.raises(RuntimeError, match='3 iterations in a row'):
        model.loss(inputs, samples)
    # a finite step resets the count
    model.teacher.bbox_head.retina_cls.bias.data.fill_(0.0)
    model._consecutive_nonfinite = 2
    losses = model.loss(inputs, samples)
    assert torch.isfinite(losses['cons_loss_cls'])
    assert model._consecutive_nonfinite == 0


def test_labeled_images_without_objects_give_finite_losses():
    model = ssmd_with_confident_student()
    inputs, samples = batch()
    for s in samples['sup']:
        s.gt_instances = s.gt_instances[:0]
    model.set_adversarial(dict(xi=5e-7, eps=2.0, tau=0.95))
    losses = model.loss(inputs, samples)
    for k, v in losses.items():
        values = v if isinstance(v, list) else [v]
        assert all(torch.isfinite(x).all() for x in values), k


def ssmd_student_view(model, size=64):
    """A batch, the student's paired outputs on it and the teacher view."""
    torch.manual_seed(3)
    x = torch.rand(4, 3, size, size)
    head = model.student.bbox_head
    with torch.no_grad():
        s_cls, s_box = head(model.student.extract_feat(x))
    valid = [v for _, v in flip_column_pairing(
        head.prior_generator, [c.shape[-1] for c in s_cls], size)]
    s_cls, s_box = flatten_levels(s_cls, s_box, 1, valid)
    return x.flip(-1), s_cls, s_box, valid


def test_probe_below_float32_resolution_keeps_the_direction():
    """xi * r vanishes in float32 for the paper's xi, yet r_adv points the
    same way as with a representable probe: autograd differentiates the
    addition exactly and the consistency gradient at r = 0 is not zero."""
    model = ssmd_with_confident_student()
    t_in, s_cls, s_box, _ = ssmd_student_view(model)
    out = {}
    for xi in (5e-7, 1e-2):
        model.set_adversarial(dict(xi=xi, eps=2.0, tau=0.95))
        torch.manual_seed(0)
        out[xi] = (model.adversarial_perturbation(t_in, s_cls, s_box),
                   model.adversarial_stats['probe_kept'])
    assert out[5e-7][1] < 0.2  # the probe is mostly gone ...
    assert out[1e-2][1] > 0.99  # ... and survives at 1e-2
    cos = torch.nn.functional.cosine_similarity(
        out[5e-7][0].flatten(1), out[1e-2][0].flatten(1), dim=1)
    assert cos.min() > 0.99  # a random direction: ~0


def test_perturbation_changes_the_teacher_output_at_confident_anchors():
    """The teacher's outputs with and without r_adv: at the anchors IAP
    targets, r_adv moves them much more than a random perturbation of the
    same norm, and the move grows with eps (RMS per element logged)."""
    model = ssmd_with_confident_student()
    t_in, s_cls, s_box, valid = ssmd_student_view(model)
    masks = foreground_mask(s_cls, 0.95)
    assert sum(int(m.sum()) for m in masks) > 100

    def teacher(x):
        with torch.no_grad():
            cls, box, _ = model.teacher_dense_outputs(x, x.shape[-1])
        cls, box = flatten_levels(cls, box, 1, valid)
        return torch.cat([torch.cat([c[m] for c, m in zip(cls, masks)]),
                          torch.cat([b[m] for b, m in zip(box, masks)])],
                         dim=1)

    clean = teacher(t_in)
    moves = []
    for eps in (2.0, 8.0):
        model.set_adversarial(dict(xi=1e-2, eps=eps, tau=0.95))
        r_adv = model.adversarial_perturbation(t_in, s_cls, s_box)
        rms = model.adversarial_stats['perturbation_rms']
        assert rms == pytest.approx(eps / (3 * 64 * 64)**0.5, rel=1e-3)
        torch.manual_seed(eps)
        rand = torch.randn_like(t_in)
        rand = eps * rand / rand.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
        adv_move = (teacher(t_in + r_adv) - clean).abs().mean()
        rand_move = (teacher(t_in + rand) - clean).abs().mean()
        assert adv_move > 3 * rand_move
        moves.append(adv_move)
    assert moves[1] > 2 * moves[0] > 0
