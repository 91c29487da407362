"""TwoStageSSMD on a tiny Faster R-CNN and Mask R-CNN: loss keys,
gradients, RoI pairing through the detector, IAP, head checks, predict,
training steps with the EMA teacher and export to the plain detector."""
import copy
from types import SimpleNamespace

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import ConfigDict
from mmengine.optim import build_optim_wrapper

import mmssmd  # noqa: F401
from mmssmd.engine.hooks import EMATeacherHook

from conftest import load_tool
from fixtures.tiny_models import MULTI_BRANCH_PREPROCESSOR, tiny_retinanet
from fixtures.tiny_two_stage import (semi_batch, tiny_faster_rcnn,
                                     tiny_mask_rcnn)
from test_roi_flip import RECTS, coder, fake_roi_head  # same folder

DETECTORS = {'faster': tiny_faster_rcnn, 'mask': tiny_mask_rcnn}
PERTURBATION = [dict(type='NoisyResidualBlock')]


def build(kind: str = 'faster', noisy: bool = False, **overrides):
    detector = DETECTORS[kind]()
    if noisy:
        detector.backbone.update(type='NoisyResNet',
                                 perturbation=PERTURBATION)
    cfg = ConfigDict(
        type='TwoStageSSMD', detector=detector,
        consistency_loss=dict(type='AdaptiveConsistencyLoss'),
        roi_consistency_loss=dict(type='SoftmaxAdaptiveConsistencyLoss'),
        data_preprocessor=MULTI_BRANCH_PREPROCESSOR,
        semi_train_cfg=dict(cutout_holes=2, cutout_size=8, roi_proposals=32),
        semi_test_cfg=dict(predict_on='student'))
    for key, value in overrides.items():
        if key in cfg.semi_train_cfg or key == 'teacher_norm':
            cfg.semi_train_cfg[key] = value
        else:
            cfg[key] = value
    return MODELS.build(cfg)


def batch(kind: str = 'faster'):
    return semi_batch(with_masks=kind == 'mask')


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def total_loss(losses: dict) -> torch.Tensor:
    return sum(v.sum() if isinstance(v, torch.Tensor) else sum(v)
               for k, v in losses.items() if 'loss' in k)


@pytest.mark.parametrize('kind', ['faster', 'mask'])
def test_loss_keys_finite_and_gradients_reach_the_student_only(kind):
    model = build(kind, noisy=True)
    model.train()
    inputs, samples = batch(kind)
    seen = []
    original = model.student.extract_feat
    model.student.extract_feat = lambda x: seen.append(x) or original(x)
    losses = model.loss(inputs, samples)
    assert len(seen) == 1 and len(seen[0]) == 4  # one forward, all images
    expected = {
        'sup_loss_rpn_cls', 'sup_loss_rpn_bbox', 'sup_loss_cls',
        'sup_loss_bbox', 'sup_acc', 'cons_rpn_loss_cls',
        'cons_rpn_loss_bbox', 'cons_roi_loss_cls', 'cons_roi_loss_bbox',
        'consistency_lambda', 'consistency_anchor_weight',
        'consistency_roi_weight', 'consistency_to_sup_ratio'
    } | ({'sup_loss_mask'} if kind == 'mask' else set())
    assert set(losses) == expected
    for key, value in losses.items():
        for v in (value if isinstance(value, list) else [value]):
            assert torch.isfinite(v).all(), key
    for key in ('cons_rpn_loss_cls', 'cons_rpn_loss_bbox',
                'cons_roi_loss_cls', 'cons_roi_loss_bbox'):
        assert losses[key] > 0, key
    total, log = model.parse_losses(losses)
    cons = sum(v for k, v in losses.items() if k.startswith('cons_'))
    assert log['consistency_to_sup_ratio'] == pytest.approx(
        (cons / (total - cons)).item(), rel=1e-4)
    total.backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.student.roi_head.bbox_head.fc_cls.weight.grad.abs().sum() > 0
    # the RoI consistency alone reaches the RoI head and the backbone
    model.zero_grad()
    losses = model.loss(inputs, samples)
    (losses['cons_roi_loss_cls'] + losses['cons_roi_loss_bbox']).backward()
    for param in (model.student.roi_head.bbox_head.fc_reg.weight,
                  model.student.backbone.conv1.weight):
        assert param.grad.abs().sum() > 0
    assert model.student.rpn_head.rpn_cls.weight.grad is None


def test_supervised_losses_use_the_labeled_images_only():
    model = build(cutout_holes=0)
    model.eval()  # BN statistics of the batch would mix the images
    inputs, samples = batch()
    torch.manual_seed(0)
    ref = model.loss(inputs, samples)
    changed = dict(inputs, unsup=torch.rand_like(inputs['unsup']))
    torch.manual_seed(0)  # the same RoI samples
    other = model.loss(changed, samples)
    for key in ('sup_loss_rpn_cls', 'sup_loss_cls', 'sup_loss_bbox'):
        torch.testing.assert_close(other[key], ref[key])
    assert other['cons_roi_loss_bbox'] != ref['cons_roi_loss_bbox']


def test_teacher_sees_the_mirrored_batch_and_the_mirrored_proposals():
    """With the fake position-dependent RoI head of test_roi_flip in both
    networks (reading the image each network sees), the whole loss gives
    zero RoI consistency; the RPN's does not vanish."""
    torch.manual_seed(0)
    model = build(cutout_holes=0)
    model.teacher.roi_head.bbox_head.bbox_coder = coder()
    # no sliver proposals: their deltas (~1e4) leave float32 rounding
    model.student.train_cfg.rpn_proposal.min_bbox_size = 2
    size = 64
    x = torch.zeros(4, 3, size, size)
    for k, (x1, y1, x2, y2) in enumerate(RECTS):
        x[:, k, y1:y2, x1:x2] = 1.0
    x[:, 2] = torch.rand(4, size, size)  # texture for the RPN
    _, samples = batch()
    seen_rois, seen_inputs = {}, {}
    for name in ('student', 'teacher'):
        net = getattr(model, name)
        seen = seen_inputs.setdefault(name, {})
        original = net.extract_feat

        def spy(images, seen=seen, original=original):
            seen['x'] = images
            return original(images)

        def fake(feats, rois, seen=seen, name=name):
            seen_rois[name] = rois
            cls, box = fake_roi_head(seen['x'][:, :2], rois)
            return dict(cls_score=cls, bbox_pred=box)

        net.extract_feat = spy
        net.roi_head._bbox_forward = fake
        # no supervised RoI loss: the fake head has other output shapes
        net.roi_head.bbox_loss = lambda *a, **k: dict(loss_bbox={})
    losses = model.loss({'sup': x[:2], 'unsup': x[2:]}, samples)
    torch.testing.assert_close(seen_inputs['teacher']['x'], x.flip(-1))
    mirrored = seen_rois['teacher'][:, [0, 3, 2, 1, 4]]
    mirrored[:, 1:4:2] = size - mirrored[:, 1:4:2]
    torch.testing.assert_close(mirrored, seen_rois['student'])
    assert len(seen_rois['student']) > 4
    assert losses['cons_roi_loss_cls'].abs() < 1e-6
    assert losses['cons_roi_loss_bbox'].abs() < 1e-6
    assert losses['cons_rpn_loss_cls'] > 0


def test_class_specific_deltas_of_the_teachers_foreground_class():
    """Two classes; the deltas disagree for class 0 only: no box term
    when the teacher finds class 1 most likely, one when it finds class 0
    (even though the student's most likely class is 1)."""
    model = build()
    s_box = torch.zeros(3, 8)
    t_box = torch.cat([torch.ones(3, 4), torch.zeros(3, 4)], dim=1)
    s_cls = torch.tensor([[0., 3., 0.]]).expand(3, 3)
    for teacher_class, disagree in ((1, False), (0, True)):
        t_cls = torch.zeros(3, 3)
        t_cls[:, teacher_class] = 3.
        box = model.roi_consistency(s_cls, t_cls, s_box,
                                    t_box)['loss_consistency_box']
        assert (box > 0) == disagree


def test_roi_proposals_caps_the_proposals_per_image():
    model = build(roi_proposals=5)
    calls = []
    forward = model.student.roi_head._bbox_forward
    model.student.roi_head._bbox_forward = \
        lambda feats, rois: calls.append(rois) or forward(feats, rois)
    model.loss(*batch())
    consistency_rois = calls[0]  # before the supervised RoI loss
    assert torch.bincount(consistency_rois[:, 0].long()).tolist() == [5] * 4
    assert not consistency_rois.requires_grad
    with pytest.raises(ValueError, match='roi_proposals'):
        build(roi_proposals=0)


def confident(model, fg: bool = True):
    """Every student RoI foreground (1 - p[bg] ~ 1) or background."""
    bias = model.student.roi_head.bbox_head.fc_cls.bias
    bias.data.copy_(torch.tensor([8., -8.] if fg else [-8., 8.]))
    return model


def test_iap_perturbs_the_teacher_input_from_the_roi_head():
    model = confident(build(cutout_holes=0))
    model.train()
    inputs, samples = batch()
    seen = {}
    original = model.teacher.extract_feat

    def spy(x):
        seen['x'] = x.detach()
        return original(x)

    model.teacher.extract_feat = spy
    model.set_adversarial(dict(xi=1e-3, eps=2.0, tau=0.5))
    losses = model.loss(inputs, samples)
    stats = model.adversarial_stats
    assert stats['share_above_tau'] == 1.0
    assert stats['perturbed_images'] == 4 and stats['nonfinite_images'] == 0
    assert stats['perturbation_norm'] == pytest.approx(2.0, rel=1e-4)
    assert all(p.grad is None for p in model.parameters())
    clean = torch.cat([inputs['sup'], inputs['unsup']]).flip(-1)
    r_adv = seen['x'] - clean  # the last teacher input: clean + r_adv
    norms = r_adv.flatten(1).norm(dim=1)
    torch.testing.assert_close(norms, torch.full((4, ), 2.0), rtol=1e-4,
                               atol=1e-4)
    assert all(torch.isfinite(v).all() for k, v in losses.items()
               if isinstance(v, torch.Tensor))

    # no RoI above tau: no perturbation
    confident(model, fg=False)
    model.loss(inputs, samples)
    assert model.adversarial_stats['perturbed_images'] == 0
    torch.testing.assert_close(seen['x'], clean)
    model.set_adversarial(None)
    model.loss(inputs, samples)
    assert model.adversarial_stats == {}


def test_heads_and_losses_are_checked():
    with pytest.raises(ValueError, match=r'roi_head\.bbox_head .*'
                       'SoftmaxAdaptiveConsistencyLoss'):
        build(roi_consistency_loss=dict(type='AdaptiveConsistencyLoss'))
    with pytest.raises(ValueError, match='rpn_head .*AdaptiveConsistencyLoss'):
        build(consistency_loss=dict(type='SoftmaxAdaptiveConsistencyLoss'))
    with pytest.raises(ValueError, match='TwoStageSSMD needs .*RetinaNet'):
        MODELS.build(ConfigDict(type='TwoStageSSMD',
                                detector=tiny_retinanet()))
    with pytest.raises(ValueError, match='use TwoStageSSMD'):
        MODELS.build(ConfigDict(type='SSMD', detector=tiny_faster_rcnn()))


def test_teacher_has_the_parameters_of_the_plain_detector():
    for kind, plain_cfg in DETECTORS.items():
        model = build(kind, noisy=True)
        plain = MODELS.build(plain_cfg())
        assert count(model.teacher) == count(plain)
        assert count(model.student) > count(plain)
        assert model.teacher.backbone.perturbations is None


@pytest.mark.parametrize('kind', ['faster', 'mask'])
def test_predict_uses_the_student_by_default(kind):
    model = build(kind)
    model.eval()
    inputs, samples = batch(kind)
    x, data = inputs['sup'], samples['sup']
    out = model.predict(x, copy.deepcopy(data))
    ref = model.student.predict(x, copy.deepcopy(data))
    assert len(out[0].pred_instances) > 0
    torch.testing.assert_close(out[0].pred_instances.bboxes,
                               ref[0].pred_instances.bboxes)
    if kind == 'mask':
        assert out[0].pred_instances.masks.shape[-2:] == (64, 64)
    model.semi_test_cfg['predict_on'] = 'teacher'
    teacher = model.predict(x, copy.deepcopy(data))
    assert not torch.equal(teacher[0].pred_instances.scores,
                           out[0].pred_instances.scores)


@pytest.mark.parametrize('kind', ['faster', 'mask'])
def test_train_steps_with_the_ema_teacher(kind):
    model = build(kind, noisy=True, teacher_norm='batch')
    model.train()
    wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01,
                                            momentum=0.9)))
    hook = EMATeacherHook(alpha=0.5)
    inputs, samples = batch(kind)
    data = dict(inputs={k: list((v * 255).to(torch.uint8))
                        for k, v in inputs.items()},
                data_samples=samples)
    student0 = copy.deepcopy(model.student.state_dict())
    teacher0 = copy.deepcopy(model.teacher.state_dict())
    for step in range(2):
        log = model.train_step(copy.deepcopy(data), wrapper)
        assert torch.isfinite(log['loss']), step
        hook.after_train_iter(SimpleNamespace(model=model, iter=step), step)
    name = 'roi_head.bbox_head.fc_cls.weight'
    assert not torch.equal(model.student.state_dict()[name], student0[name])
    assert not torch.equal(model.teacher.state_dict()[name], teacher0[name])
    assert model._consecutive_nonfinite == 0


@pytest.mark.parametrize('kind', ['faster', 'mask'])
def test_state_dict_loads_into_the_plain_detector(kind):
    extractor = load_tool('model_converters/extract_detector.py')
    model = build(kind, noisy=True)
    model.eval()
    cfg = dict(model=dict(type='TwoStageSSMD', detector=DETECTORS[kind](),
                          semi_test_cfg=dict(predict_on='student')))
    detector, prefix, network = extractor.plain_model_cfg(
        cfg['model'], 'cfg.py', 'teacher')
    assert (detector['type'], prefix) == (
        {'faster': 'FasterRCNN', 'mask': 'MaskRCNN'}[kind], 'teacher.')
    for network in ('student', 'teacher'):
        detector, prefix, _ = extractor.plain_model_cfg(
            cfg['model'], 'cfg.py', network)
        state = extractor.extract_state_dict(
            dict(state_dict=model.state_dict()), prefix)
        extractor.check_loads(detector, state, 'ckpt.pth')
        plain = MODELS.build(detector)
        plain.load_state_dict(state, strict=True)
        plain.eval()
        x, data = batch(kind)[0]['sup'], batch(kind)[1]['sup']
        ref = getattr(model, network).predict(x, copy.deepcopy(data))
        got = plain.predict(x, copy.deepcopy(data))
        torch.testing.assert_close(got[0].pred_instances.scores,
                                   ref[0].pred_instances.scores)
