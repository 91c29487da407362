"""Consistency losses and IAP's probe stay float32 under autocast (bf16)."""
import pytest
import torch
from mmdet.registry import MODELS

import mmssmd  # noqa: F401
from mmssmd.engine.hooks import EMATeacherHook
from mmssmd.models.utils import instance_adversarial_perturbation

from test_adversarial import TinyDense, consistency  # noqa: E402
from test_ssmd_teacher import batch, build_ssmd  # noqa: E402


def bf16_autocast():
    return torch.autocast('cpu', dtype=torch.bfloat16)


def dense_inputs(levels=(40, 12), classes=2):
    """Student / teacher logits and deltas as a bf16 head returns them."""
    g = torch.Generator().manual_seed(0)
    make = lambda c: [  # noqa: E731
        (3 * torch.randn(n, c, generator=g)).bfloat16() for n in levels]
    return make(classes), make(classes), make(4), make(4)


@pytest.mark.parametrize('cfg', [
    dict(type='AdaptiveConsistencyLoss'),
    dict(type='AdaptiveConsistencyLoss', reduction='mean'),
    dict(type='CSDConsistencyLoss')])
def test_consistency_losses_are_float32_under_autocast(cfg):
    loss = MODELS.build(cfg)
    s_cls, t_cls, s_box, t_box = dense_inputs()
    for z in s_cls:
        z.requires_grad_(True)
    with bf16_autocast():
        out = loss(s_cls, t_cls, s_box, t_box)
    ref = loss(*[[z.detach().float() for z in x]
                 for x in (s_cls, t_cls, s_box, t_box)])
    for key in ('loss_consistency_cls', 'loss_consistency_box'):
        assert out[key].dtype == torch.float32, key
        assert torch.isfinite(out[key])
        assert out[key] > 0
        torch.testing.assert_close(out[key], ref[key], rtol=1e-6, atol=0)
    out['loss_consistency_cls'].backward()
    assert s_cls[0].grad.dtype == torch.bfloat16
    assert torch.isfinite(s_cls[0].grad.float()).all()


def test_soft_focal_loss_is_float32_under_autocast():
    loss = MODELS.build(dict(type='SoftFocalLoss'))
    g = torch.Generator().manual_seed(1)
    pred = (3 * torch.randn(50, 2, generator=g)).bfloat16()
    target = torch.rand(50, 2, generator=g)
    with bf16_autocast():
        out = loss(pred, target)
    assert out.dtype == torch.float32 and torch.isfinite(out)
    torch.testing.assert_close(out, loss(pred.float(), target), rtol=1e-6,
                               atol=0)


def test_adversarial_probe_is_float32_under_autocast():
    """The probe (teacher forward, consistency, gradient) runs in float32:
    under bf16 autocast ``r_adv`` is the float32 one."""
    teacher = TinyDense()
    x = torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        s_cls, s_box = teacher(x.flip(-1))
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(3))
    kwargs = dict(xi=1e-6, eps=2.0, tau=0.0, noise=noise)
    ref, _ = instance_adversarial_perturbation(teacher, x, s_cls, s_box,
                                               consistency(), **kwargs)
    with bf16_autocast():
        out, stats = instance_adversarial_perturbation(
            teacher, x, [z.bfloat16() for z in s_cls],
            [d.bfloat16() for d in s_box], consistency(), **kwargs)
        # the same network without the float32 region runs in bf16
        assert teacher(x)[0][0].dtype == torch.bfloat16
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    assert stats['perturbed_images'] == 3
    s_ref = [z.bfloat16().float() for z in s_cls]
    b_ref = [d.bfloat16().float() for d in s_box]
    ref, _ = instance_adversarial_perturbation(teacher, x, s_ref, b_ref,
                                               consistency(), **kwargs)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)


def test_ssmd_trains_under_bf16_autocast_with_iap():
    """A few SSMD steps (noisy blocks, IAP on every anchor, EMA teacher)
    with the forward under CPU bf16 autocast, as ``AmpOptimWrapper`` runs
    it: finite float32 losses."""
    torch.manual_seed(0)
    model = build_ssmd()
    model.train()
    model.set_adversarial(dict(xi=1e-6, eps=1.0, tau=0.0))
    optim = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-4)
    hook = EMATeacherHook(alpha=0.9)
    inputs, samples = batch()
    for _ in range(3):
        with bf16_autocast():
            losses = model.loss(inputs, samples)
            loss, _ = model.parse_losses(losses)
        for key in ('cons_loss_cls', 'cons_loss_bbox'):
            assert losses[key].dtype == torch.float32, key
        assert torch.isfinite(loss)
        assert model.adversarial_stats['perturbed_images'] == 4
        optim.zero_grad()
        loss.backward()
        optim.step()
        hook.momentum_update(model, 0.1)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def _csd():
    from test_csd import tiny_csd
    return tiny_csd(), *batch()


def _focalmix():
    from test_focalmix import build_focalmix
    return build_focalmix(), *batch()


def _mean_teacher():
    """mmdet's SemiBaseDetector as the demo config wires it, with the
    teacher's scores above the pseudo-label threshold (a real
    unsupervised loss)."""
    from pathlib import Path

    import numpy as np
    from mmdet.structures import DetDataSample
    from mmengine.config import Config
    from mmengine.structures import InstanceData
    cfg = Config.fromfile(str(
        Path(__file__).resolve().parents[2] /
        'configs/demo/mmdet_mean_teacher_r18_synth_2.5pct.py'))
    model = MODELS.build(cfg.model)
    head = model.teacher.bbox_head
    torch.nn.init.zeros_(head.retina_cls.weight)
    torch.nn.init.constant_(head.retina_cls.bias, 3.0)  # scores 0.95

    def sample(boxes):
        s = DetDataSample(metainfo=dict(
            img_shape=(64, 64), pad_shape=(64, 64), ori_shape=(64, 64),
            scale_factor=(1., 1.),
            homography_matrix=np.eye(3, dtype=np.float32)))
        s.gt_instances = InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float32).view(-1, 4),
            labels=torch.zeros(len(boxes), dtype=torch.long))
        return s

    torch.manual_seed(0)
    inputs = {k: torch.rand(2, 3, 64, 64)
              for k in ('sup', 'unsup_teacher', 'unsup_student')}
    samples = {'sup': [sample([[8., 8., 30., 28.]]) for _ in range(2)],
               'unsup_teacher': [sample([]) for _ in range(2)],
               'unsup_student': [sample([]) for _ in range(2)]}
    return model, inputs, samples


@pytest.mark.parametrize('build', [_csd, _focalmix, _mean_teacher],
                         ids=['csd', 'focalmix', 'mean_teacher'])
def test_baselines_train_under_bf16_autocast(build, monkeypatch):
    """CSD, FocalMix and mmdet's mean teacher: a few steps with the
    forward under CPU bf16 autocast (as ``AmpOptimWrapper`` runs it, bf16
    standing in for a GPU's float16): finite losses, a float32 total and
    finite weights.

    The mean teacher's pseudo-labels go through mmcv's NMS, whose CPU
    kernel takes float32 boxes and scores only (bf16 scores raise); its
    CUDA kernel reads only the boxes, which RetinaNet's decoding returns in
    float32 under float16 autocast (``exp`` is autocast to float32). The
    CPU stand-in casts at that one call, as the GPU needs no cast.
    """
    import importlib
    nms_module = importlib.import_module('mmcv.ops.nms')
    cpu_nms = nms_module.ext_module.nms
    monkeypatch.setattr(
        nms_module.ext_module, 'nms',
        lambda boxes, scores, **kw: cpu_nms(boxes.float(), scores.float(),
                                            **kw))
    torch.manual_seed(0)
    model, inputs, samples = build()
    model.train()
    optim = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-4)
    for _ in range(2):
        with bf16_autocast():
            losses = model.loss(inputs, samples)
            loss, _ = model.parse_losses(losses)
        assert loss.dtype == torch.float32
        assert torch.isfinite(loss) and loss > 0
        optim.zero_grad()
        loss.backward()
        optim.step()
    assert all(torch.isfinite(p).all() for p in model.parameters())
