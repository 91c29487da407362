"""SSMD's teacher holds no perturbation modules; old checkpoints load."""
import copy

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import ConfigDict
from mmengine.optim import build_optim_wrapper
from mmengine.runner.checkpoint import load_state_dict

import mmssmd  # noqa: F401
from mmssmd.engine.hooks import EMATeacherHook
from mmssmd.models.detectors.ssmd import teacher_detector_config

from fixtures.tiny_models import semi_batch as batch
from fixtures.tiny_models import tiny_retinanet

PERTURBATION = [dict(type='NoisyResidualBlock')]


def noisy_detector() -> dict:
    detector = tiny_retinanet()
    detector['backbone'] = dict(detector['backbone'], type='NoisyResNet',
                                perturbation=PERTURBATION)
    return detector


def build_ssmd(**semi_train_cfg) -> torch.nn.Module:
    detector = noisy_detector()
    return MODELS.build(ConfigDict(
        type='SSMD', detector=detector,
        data_preprocessor=dict(type='MultiBranchDataPreprocessor',
                               data_preprocessor=detector['data_preprocessor']),
        semi_train_cfg=dict(cutout_holes=2, cutout_size=8, **semi_train_cfg)))


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def old_layout_state_dict(model) -> dict:
    """The state dict as SSMD wrote it when the teacher had the student's
    perturbation modules."""
    state = model.state_dict()
    for key, value in model.student.state_dict().items():
        if key.startswith('backbone.perturbations.'):
            state['teacher.' + key] = value.clone() + 1
    return state


def test_teacher_has_the_parameters_of_a_plain_retinanet():
    model = build_ssmd()
    plain = MODELS.build(tiny_retinanet())  # ResNet backbone
    assert count(model.teacher) == count(plain)
    assert count(model.student) > count(plain)
    assert model.teacher.backbone.perturbations is None
    assert model.student.backbone.perturbations is not None
    assert not any('perturbations' in k for k in model.teacher.state_dict())
    # the student's config is left as it was
    assert noisy_detector()['backbone']['perturbation'] == PERTURBATION
    assert teacher_detector_config(tiny_retinanet()) == tiny_retinanet()


def test_teacher_is_frozen_in_eval_mode_and_has_no_adam_state():
    model = build_ssmd()
    model.train()
    assert not model.teacher.training
    assert all(not p.requires_grad for p in model.teacher.parameters())
    # the optimizer as the runner builds it: all parameters of the model
    wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))
    inputs, samples = batch()
    wrapper.update_params(
        model.parse_losses(model.loss(inputs, samples))[0])
    teacher = {id(p) for p in model.teacher.parameters()}
    state = wrapper.optimizer.state
    assert state and not any(id(p) in teacher for p in state)


def test_old_checkpoint_layout_loads_strictly():
    model = build_ssmd()
    state = old_layout_state_dict(model)
    assert any(k.startswith('teacher.backbone.perturbations.') for k in state)
    target = build_ssmd()
    # torch's strict load and mmengine's (load_checkpoint / the runner)
    result = target.load_state_dict(copy.copy(state), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    other = build_ssmd()
    load_state_dict(other, copy.copy(state), strict=True)
    for loaded in (target, other):
        for key, value in loaded.state_dict().items():
            torch.testing.assert_close(value, state[key], msg=key)


def test_plain_detector_checkpoint_loads_into_both_networks():
    """mmdet's SemiBaseDetector copies an unprefixed detector checkpoint
    into student and teacher; the teacher skips the perturbations."""
    source = MODELS.build(noisy_detector())
    model = build_ssmd()
    load_state_dict(model, source.state_dict(), strict=True)
    for key, value in model.teacher.state_dict().items():
        torch.testing.assert_close(value, source.state_dict()[key])


def test_ema_pairs_names_and_skips_only_the_student_perturbations():
    model = build_ssmd()
    perturbations = copy.deepcopy(model.student.backbone.perturbations)
    EMATeacherHook().momentum_update(model, 1.0)
    student = model.student.state_dict()
    for key, value in model.teacher.state_dict().items():
        torch.testing.assert_close(value, student[key], msg=key)
    for a, b in zip(perturbations.parameters(),
                    model.student.backbone.perturbations.parameters()):
        assert torch.equal(a, b)
    # any other mismatch is an error, not a silent skip
    model.student_only_prefixes = ()
    with pytest.raises(KeyError, match='perturbations'):
        EMATeacherHook().momentum_update(model, 0.5)


def test_teacher_predicts_and_normalises_by_batch():
    model = build_ssmd(teacher_norm='batch')
    EMATeacherHook().momentum_update(model, 1.0)
    model.train()
    inputs, samples = batch()
    loss, _ = model.parse_losses(model.loss(inputs, samples))
    assert torch.isfinite(loss)
    EMATeacherHook().momentum_update(model, 1.0)  # BN statistics moved
    model.eval()
    model.semi_test_cfg['predict_on'] = 'teacher'
    out_t = model.predict(inputs['sup'], copy.deepcopy(samples['sup']))
    model.semi_test_cfg['predict_on'] = 'student'
    out_s = model.predict(inputs['sup'], copy.deepcopy(samples['sup']))
    # a copied teacher predicts like the student in eval mode
    torch.testing.assert_close(out_t[0].pred_instances.scores,
                               out_s[0].pred_instances.scores)
