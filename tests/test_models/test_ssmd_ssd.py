"""SSMD around SSD: exact pairing of SSD's priors under the flip, a softmax
head's consistency and IAP mask, and training steps.

The pairing expectation is built from physical positions with the fake
flip-equivariant head of ``fixtures/mirror_scene`` (two softmax channels:
nucleus, background), on mmdet's ``SSDAnchorGenerator`` (centres at
``(j + 1/2) * stride``, 4 or 6 priors per cell).
"""
import pytest
import torch
from mmdet.models.task_modules.coders import DeltaXYWHBBoxCoder
from mmdet.models.task_modules.prior_generators import SSDAnchorGenerator
from mmdet.registry import MODELS
from mmengine.config import ConfigDict

import mmssmd  # noqa: F401
from fixtures.mirror_scene import head_outputs, partner_columns
from fixtures.tiny_models import semi_batch, tiny_ssd
from mmssmd.models.losses import SoftmaxAdaptiveConsistencyLoss
from mmssmd.models.utils import align_flipped_outputs, flatten_levels

# SSD512's levels at 448 px (ResNet-50 C3/C4 + SSDNeck): maps 56 ... 1,
# strides = 448 / map size
SSD448 = dict(
    strides=[8, 16, 32, 64, 112, 224, 448],
    sizes=[56, 28, 14, 7, 4, 2, 1],
    ratios=[[2], [2, 3], [2, 3], [2, 3], [2, 3], [2], [2]],
    min_sizes=[17, 44, 116, 188, 259, 331, 403],
    max_sizes=[44, 116, 188, 259, 331, 403, 475])
# mmdet's SSD300 priors (strides 8 ... 300 on maps 38 ... 1)
SSD300 = dict(strides=[8, 16, 32, 64, 100, 300],
              sizes=[38, 19, 10, 5, 3, 1],
              ratios=[[2], [2, 3], [2, 3], [2, 3], [2], [2]],
              basesize_ratio_range=(0.15, 0.9))


def generator(spec, input_size):
    kwargs = {k: v for k, v in spec.items() if k != 'sizes'}
    return SSDAnchorGenerator(input_size=input_size, **kwargs)


@pytest.mark.parametrize('spec,width', [(SSD448, 448), (SSD300, 300)])
def test_ssd_priors_meet_their_physical_mirror(spec, width):
    anchor_gen = generator(spec, width)
    coder = DeltaXYWHBBoxCoder(target_means=[0.] * 4,
                               target_stds=[0.1, 0.1, 0.2, 0.2])
    sizes = [(s, s) for s in spec['sizes']]
    s_cls, s_box = head_outputs(anchor_gen, coder, sizes, width, False, 2)
    t_cls, t_box = head_outputs(anchor_gen, coder, sizes, width, True, 2)
    a_cls, a_box, valid = align_flipped_outputs(t_cls, t_box, anchor_gen,
                                                coder, width)
    expected = partner_columns(anchor_gen, sizes, width)
    for lvl in range(len(sizes)):
        assert torch.equal(valid[lvl], expected[lvl]), lvl
        cols = valid[lvl]
        torch.testing.assert_close(a_cls[lvl][..., cols],
                                   s_cls[lvl][..., cols])
        torch.testing.assert_close(a_box[lvl][..., cols],
                                   s_box[lvl][..., cols], atol=1e-4,
                                   rtol=1e-4)
    if width == 448:  # strides that divide 448: every column pairs
        assert all(v.all() for v in valid)
    else:  # SSD300's 8..64 px strides put mirrors between two centres
        assert [bool(v.any()) for v in valid] == [False] * 4 + [True] * 2
    s_flat = flatten_levels(s_cls, s_box, 2, valid)
    t_flat = flatten_levels(a_cls, a_box, 2, valid)
    loss = SoftmaxAdaptiveConsistencyLoss()(s_flat[0], t_flat[0], s_flat[1],
                                            t_flat[1])
    assert loss['loss_consistency_cls'].item() == pytest.approx(0, abs=1e-6)
    assert loss['loss_consistency_box'].item() == pytest.approx(0, abs=1e-6)
    # SSD's half-cell centres: a plain flip is the mirror exactly where
    # the map spans the width (448), and pairs wrong anchors where not
    plain = t_cls[0].flip(-1)
    if width == 448:
        torch.testing.assert_close(plain, s_cls[0])
    else:
        assert (plain - s_cls[0]).abs().max() > 0.1


def build_ssmd(loss_type='SoftmaxAdaptiveConsistencyLoss'):
    detector = tiny_ssd()
    model = MODELS.build(
        ConfigDict(
            type='SSMD',
            detector=detector,
            consistency_loss=dict(type=loss_type),
            data_preprocessor=dict(
                type='MultiBranchDataPreprocessor',
                data_preprocessor=detector['data_preprocessor']),
            semi_train_cfg=dict(cutout_holes=2, cutout_size=8)))
    # SSDNeck's L2Norm scale is set by init_weights (as the runner does)
    model.init_weights()
    return model


def test_sigmoid_loss_on_a_softmax_head_is_refused():
    with pytest.raises(ValueError, match='SoftmaxAdaptiveConsistencyLoss'):
        build_ssmd('AdaptiveConsistencyLoss')


def test_losses_gradients_and_training_steps():
    model = build_ssmd()
    model.train()
    inputs, samples = semi_batch()
    losses = model.loss(inputs, samples)
    assert {'sup_loss_cls', 'sup_loss_bbox', 'cons_loss_cls',
            'cons_loss_bbox'} <= set(losses)
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    (losses['cons_loss_cls'] + losses['cons_loss_bbox']).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    grad = model.student.backbone.conv1.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    optim = torch.optim.Adam(model.student.parameters(), lr=1e-3)
    for _ in range(3):
        optim.zero_grad()
        total, _ = model.parse_losses(model.loss(inputs, samples))
        total.backward()
        optim.step()
        assert torch.isfinite(total)
    model.eval()
    with torch.no_grad():
        results = model.predict(inputs['sup'], samples['sup'])
    assert len(results) == 2 and 'bboxes' in results[0].pred_instances


def test_iap_reads_the_softmax_foreground():
    """With tau below the softmax foreground ``1 - p[bg]`` of some anchors
    the probe perturbs every image; a sigmoid reading of the two softmax
    logits (their sigmoids summed, which includes the background) would
    select other anchors, so the count of selected anchors is checked
    against ``1 - p[bg]`` itself."""
    model = build_ssmd()
    model.train()
    inputs, samples = semi_batch()
    x, _ = mmssmd.models.utils.stack_branches(inputs)
    head = model.student.bbox_head
    with torch.no_grad():
        s_cls, s_box = head(model.student.extract_feat(x))
    valid = [v for _, v in mmssmd.models.utils.flip_column_pairing(
        head.prior_generator, [c.shape[-1] for c in s_cls], x.shape[-1])]
    flat_cls, flat_box = flatten_levels(s_cls, s_box, 2, valid)
    fg = torch.cat([1 - z.softmax(1)[:, -1] for z in flat_cls])
    tau = float(fg.quantile(0.5))
    model.set_adversarial(dict(xi=1e-3, eps=1.0, tau=tau))
    model.adversarial_perturbation(model.teacher_inputs(x), flat_cls,
                                   flat_box)
    stats = model.adversarial_stats
    assert stats['share_above_tau'] == pytest.approx(
        float((fg > tau).float().mean()), abs=1e-6)
    assert stats['perturbed_images'] == 4
