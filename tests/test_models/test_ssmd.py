"""The SSMD detector: views, gradients, teacher mode, loss keys, predict."""
import copy

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import ConfigDict
from mmengine.logging import MessageHub

import mmssmd  # noqa: F401
from fixtures.tiny_models import semi_batch as batch
from fixtures.tiny_models import tiny_retinanet

TINY_RETINANET = tiny_retinanet()


def build_ssmd(**semi_train_cfg):
    cfg = ConfigDict(
        type='SSMD',
        detector=TINY_RETINANET,
        consistency_loss=dict(type='AdaptiveConsistencyLoss'),
        data_preprocessor=dict(
            type='MultiBranchDataPreprocessor',
            data_preprocessor=TINY_RETINANET['data_preprocessor']),
        semi_train_cfg=dict(dict(cutout_holes=2, cutout_size=8),
                            **semi_train_cfg),
        semi_test_cfg=dict(predict_on='student'))
    return MODELS.build(cfg)


def record_backbone_input(detector):
    """Patch ``detector.extract_feat`` to keep its last input in the
    returned dict (key ``'x'``)."""
    seen = {}
    original = detector.extract_feat

    def spy(x):
        seen['x'] = x
        return original(x)

    detector.extract_feat = spy
    return seen


def test_teacher_stays_in_eval_mode():
    model = build_ssmd()
    model.train()
    assert model.student.training and not model.teacher.training
    assert not any(m.training for m in model.teacher.modules())
    assert all(not p.requires_grad for p in model.teacher.parameters())
    model.eval()
    assert not model.student.training


def test_loss_keys_and_gradients_reach_the_student_only():
    model = build_ssmd()
    model.train()
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert {'sup_loss_cls', 'sup_loss_bbox', 'cons_loss_cls',
            'cons_loss_bbox', 'consistency_lambda',
            'consistency_anchor_weight', 'consistency_to_sup_ratio'
            } <= set(losses)
    cons = losses['cons_loss_cls'] + losses['cons_loss_bbox']
    sup = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v)
              for k, v in losses.items() if k.startswith('sup_loss'))
    assert losses['consistency_to_sup_ratio'].item() == pytest.approx(
        (cons / sup).item(), rel=1e-5)
    total, log = model.parse_losses(losses)  # as the runner sums them
    # logged, but not part of the loss
    assert total.item() == pytest.approx((cons + sup).item(), rel=1e-5)
    assert 'consistency_to_sup_ratio' in log
    total.backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    student_grads = [p.grad for p in model.student.parameters()]
    assert all(g is not None for g in student_grads)
    # the consistency term alone also reaches the student backbone
    model.zero_grad()
    losses = model.loss(inputs, samples)
    (losses['cons_loss_cls'] + losses['cons_loss_bbox']).backward()
    assert model.student.backbone.conv1.weight.grad.abs().sum() > 0


def test_consistency_uses_unlabeled_images():
    model = build_ssmd(cutout_holes=0)
    model.eval()  # BN in train mode would mix the two batches' statistics
    inputs, samples = batch()
    with_unsup = model.loss(inputs, samples)
    inputs2 = copy.deepcopy(inputs)
    inputs2['unsup'] = torch.rand_like(inputs['unsup'])
    changed = model.loss(inputs2, samples)
    torch.testing.assert_close(changed['sup_loss_cls'],
                               with_unsup['sup_loss_cls'])
    assert changed['cons_loss_bbox'] != with_unsup['cons_loss_bbox']


@pytest.mark.parametrize('cutout_labeled', [True, False])
def test_cutout_labeled_decides_whether_labeled_images_are_cut(
        cutout_labeled):
    model = build_ssmd(cutout_holes=3, cutout_size=24,
                       cutout_labeled=cutout_labeled)
    seen = record_backbone_input(model.student)
    inputs, samples = batch()
    # strictly positive pixels: a hole (zeros) cannot hide in the data
    inputs = {k: v + 1 for k, v in inputs.items()}
    model.loss(inputs, samples)
    sup_cut = (seen['x'][:2] == 0).any()
    unsup_cut = (seen['x'][2:] == 0).all(dim=1).flatten(1).any(dim=1)
    assert bool(sup_cut) == cutout_labeled
    assert unsup_cut.all()
    if not cutout_labeled:
        torch.testing.assert_close(seen['x'][:2], inputs['sup'])


def test_teacher_sees_the_mirrored_batch():
    model = build_ssmd(cutout_holes=0)
    seen = record_backbone_input(model.teacher)
    inputs, samples = batch()
    model.loss(inputs, samples)
    expected = torch.cat([inputs['sup'], inputs['unsup']]).flip(-1)
    torch.testing.assert_close(seen['x'], expected)


def test_lambda_follows_the_iteration():
    model = build_ssmd()
    hub = MessageHub.get_instance('test_ssmd_lambda')
    hub.update_info('max_iters', 400)
    hub.update_info('iter', 0)
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert losses['consistency_lambda'].item() == pytest.approx(
        torch.tensor(-5.).exp().item())
    hub.update_info('iter', 200)
    assert model.loss(inputs, samples)['consistency_lambda'].item() == 1
    constant = build_ssmd(consistency_schedule='constant',
                          consistency_weight=0.5)
    assert constant.loss(inputs,
                         samples)['consistency_lambda'].item() == 0.5
    with pytest.raises(ValueError, match="use 'gaussian_ramp'"):
        build_ssmd(consistency_schedule='ssmd')


def test_predict_uses_student_by_default_and_teacher_on_request():
    model = build_ssmd()
    model.eval()
    inputs, samples = batch(num_sup=1)
    x = inputs['sup']
    for p in model.teacher.parameters():
        p.data.zero_()  # the teacher would predict nothing
    student_out = model.predict(x, copy.deepcopy(samples['sup']))
    expected = model.student.predict(x, copy.deepcopy(samples['sup']))
    torch.testing.assert_close(student_out[0].pred_instances.scores,
                               expected[0].pred_instances.scores)
    model.semi_test_cfg['predict_on'] = 'teacher'
    teacher_out = model.predict(x, copy.deepcopy(samples['sup']))
    assert not torch.equal(
        teacher_out[0].pred_instances.scores[:5],
        student_out[0].pred_instances.scores[:5])
    with pytest.raises(ValueError):
        MODELS.build(ConfigDict(type='SSMD', detector=TINY_RETINANET,
                                semi_test_cfg=dict(predict_on='both')))


@pytest.mark.parametrize('teacher_norm', ['running', 'batch'])
def test_teacher_norm_picks_the_statistics_of_its_training_forward(
        teacher_norm):
    """'running': the teacher's output for an image does not depend on the
    other images of the batch (eval-mode BN); 'batch': it does (the batch's
    own statistics). Either way its running statistics, which validation
    and the EMA use, are left as they were, and it stays in eval mode."""
    model = build_ssmd(teacher_norm=teacher_norm)
    model.train()
    torch.manual_seed(1)
    x = torch.rand(3, 3, 64, 64)
    others = torch.cat([x[:1], torch.rand(2, 3, 64, 64) * 3])
    buffers = {k: v.clone() for k, v in model.teacher.named_buffers()}
    with torch.no_grad():
        first = model.teacher_outputs(x, 64)[0][0][0]
        first_other_batch = model.teacher_outputs(others, 64)[0][0][0]
    same = torch.allclose(first, first_other_batch, atol=1e-5)
    assert same == (teacher_norm == 'running')
    for name, value in model.teacher.named_buffers():
        if not name.endswith('num_batches_tracked'):
            assert torch.equal(value, buffers[name]), name
    assert not any(m.training for m in model.teacher.modules())


def test_teacher_norm_batch_normalises_like_the_student():
    """With 'batch', a teacher holding the student's weights gives the
    student's training-mode outputs on the same batch (what makes the
    consistency compare like with like); with 'running' it does not."""
    outs = {}
    for norm in ('running', 'batch'):
        model = build_ssmd(teacher_norm=norm)
        model.teacher.load_state_dict(model.student.state_dict())
        model.train()
        torch.manual_seed(2)
        x = torch.rand(4, 3, 64, 64)
        with torch.no_grad():
            s_cls, _ = model.student.bbox_head(model.student.extract_feat(x))
            with model._teacher_norm():
                t_cls, _ = model.teacher.bbox_head(
                    model.teacher.extract_feat(x))
        outs[norm] = torch.allclose(s_cls[0], t_cls[0], atol=1e-5)
    assert outs == {'running': False, 'batch': True}


def test_teacher_norm_rejects_unknown_values():
    with pytest.raises(ValueError, match='teacher_norm'):
        build_ssmd(teacher_norm='sync')
