"""FocalMix: sharpening, target guessing, mixup consistency, losses,
gradients, and a few iterations through tools/train.py."""
import copy
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

import mmssmd  # noqa: F401
from conftest import demo_data_options, train_in_process
from fixtures.tiny_models import semi_batch as batch
from fixtures.tiny_models import tiny_retinanet
from mmssmd.models.detectors.focalmix import FocalMix
from mmssmd.models.utils import (align_flipped_outputs, box_to_slice,
                                 image_mixup, images_to_anchor_major,
                                 object_mixup, sample_mixup_lambda, sharpen)

REPO = Path(__file__).resolve().parents[2]

TINY = tiny_retinanet(
    ratios=(0.5, 1.0), target_stds=(0.1, 0.1, 0.2, 0.2),
    loss_cls=dict(type='SoftFocalLoss', use_sigmoid=True, alpha0=0.05,
                  alpha1=0.95, gamma=2.0))


def build_focalmix(center_offset=0., **semi_train_cfg):
    cfg = ConfigDict(copy.deepcopy(TINY))
    cfg.type = 'FocalMix'
    cfg.bbox_head.anchor_generator.center_offset = center_offset
    cfg.data_preprocessor = dict(
        type='MultiBranchDataPreprocessor',
        data_preprocessor=TINY['data_preprocessor'])
    cfg.semi_train_cfg = semi_train_cfg
    return MODELS.build(cfg)


# ----------------------------------------------------------------------
# sharpening and mixup utilities
# ----------------------------------------------------------------------
def test_sharpen_matches_the_formula():
    p = torch.tensor([0.0, 0.01, 0.2, 0.5, 0.7, 0.99, 1.0])
    t = 0.7
    expected = [0.0 if v == 0 else 1.0 if v == 1 else
                v**(1 / t) / (v**(1 / t) + (1 - v)**(1 / t))
                for v in p.tolist()]
    torch.testing.assert_close(sharpen(p, t), torch.tensor(expected))
    # by hand: 0.2^(10/7) = 0.100355, 0.8^(10/7) = 0.727010 -> 0.121274
    assert sharpen(torch.tensor(0.2), 0.7).item() == pytest.approx(
        0.121274, abs=1e-5)
    torch.testing.assert_close(sharpen(p, 1.0), p)
    with pytest.raises(ValueError):
        sharpen(p, 0.0)


def test_mixup_lambda_is_dominant():
    torch.manual_seed(0)
    lams = [sample_mixup_lambda(0.2) for _ in range(200)]
    assert all(0.5 <= v <= 1.0 for v in lams)
    # Beta(0.2, 0.2) is U-shaped: most draws near 1 after max(l, 1 - l)
    assert sum(v > 0.9 for v in lams) > 100


def test_image_mixup_targets_follow_the_pixels():
    """A target that is a linear function of the pixels is mixed exactly as
    that function of the mixed pixels."""
    torch.manual_seed(0)
    x = torch.rand(4, 3, 16, 16)

    def per_anchor(images):  # e.g. mean intensity under each 4x4 anchor
        return F.avg_pool2d(images.mean(1, keepdim=True), 4).flatten(1)

    perm = torch.tensor([2, 0, 3, 1])
    mixed, (target, ) = image_mixup(x, [per_anchor(x)], 0.7, perm)
    torch.testing.assert_close(mixed, 0.7 * x + 0.3 * x[perm])
    torch.testing.assert_close(target, per_anchor(mixed))


def test_object_mixup_pastes_where_the_box_says():
    images = torch.zeros(2, 1, 32, 32)
    images[1, :, 4:14, 20:30] = 1.0  # the source object, a bright square
    dest = torch.tensor([[3.2, 10.0, 19.0, 26.4]])  # -> rows 10:26, cols 3:19
    assert box_to_slice(dest[0], 32, 32) == (10, 26, 3, 19)
    mixed, done = object_mixup(
        images, [dest, torch.zeros(0, 4)], torch.tensor([1]),
        torch.tensor([[20., 4., 30., 14.]]), torch.tensor([0.75]))
    assert done.tolist() == [True]
    region = torch.zeros(32, 32, dtype=torch.bool)
    region[10:26, 3:19] = True
    # inside the box: 0.75 * 0 + 0.25 * resized source (constant 1)
    torch.testing.assert_close(mixed[0, 0][region],
                               torch.full((16 * 16, ), 0.25))
    # outside the box and in the other image: untouched
    assert mixed[0, 0][~region].abs().sum() == 0
    torch.testing.assert_close(mixed[1], images[1])


# ----------------------------------------------------------------------
# the detector
# ----------------------------------------------------------------------
def toy_head(model, equivariant=True):
    """Replace the network by a pooling toy: logits are average-pooled
    pixel values (mirror-equivariant when W is a multiple of every
    stride), deltas a fixed non-symmetric pattern when not."""
    head = model.bbox_head
    strides = [s[0] for s in head.prior_generator.strides]
    num_anchors = head.num_base_priors

    def forward(x):
        cls, box = [], []
        for s in strides:
            pooled = F.avg_pool2d(x[:, :1], s) * 8 - 4
            if not equivariant:
                ramp = torch.linspace(-2, 2, pooled.shape[-1])
                pooled = pooled + ramp
            cls.append(pooled.repeat(1, num_anchors, 1, 1))
            deltas = torch.cat([F.avg_pool2d(x[:, 1:2], s)] * 4, 1)
            box.append(deltas.repeat(1, num_anchors, 1, 1))
        return cls, box

    model.extract_feat = lambda x: x
    model.bbox_head.forward = forward
    return forward


def test_guessed_targets_of_a_mirror_equivariant_model():
    # the pooling toy is equivariant about its cell centres: anchors there
    model = build_focalmix(center_offset=0.5)
    forward = toy_head(model, equivariant=True)
    x = torch.rand(2, 3, 64, 64)
    cls, box, sizes = model.guess_targets(x)
    c0, b0 = forward(x)
    # both views agree: the guess is the identity view, sharpened
    p = images_to_anchor_major(c0, 1).sigmoid()
    torch.testing.assert_close(cls, sharpen(p, 0.7))
    assert [tuple(s) for s in sizes] == [(8, 8), (4, 4), (2, 2)]
    # box deltas: the mean of the identity deltas and the flipped view's
    # deltas mapped back (dy, dw, dh unchanged by the mirror)
    cf, bf = forward(x.flip(-1))
    _, bf, valid = align_flipped_outputs(cf, bf,
                                         model.bbox_head.prior_generator,
                                         model.bbox_head.bbox_coder, 64)
    assert all(v.all() for v in valid)
    expected = (images_to_anchor_major(b0, 4) +
                images_to_anchor_major(bf, 4)) / 2
    torch.testing.assert_close(box, expected)
    torch.testing.assert_close(box[..., 1:], images_to_anchor_major(b0, 4)[
        ..., 1:])


def test_unpaired_anchors_take_the_identity_guess():
    """mmdet's offset 0: column 0 of each level has no mirror partner, so
    its guess is the identity view alone; the others average both."""
    model = build_focalmix()
    forward = toy_head(model, equivariant=False)
    x = torch.rand(1, 3, 64, 64)
    cls, _, _ = model.guess_targets(x)
    c0, _ = forward(x)
    cf, _, valid = align_flipped_outputs(*forward(x.flip(-1)),
                                         model.bbox_head.prior_generator,
                                         model.bbox_head.bbox_coder, 64)
    assert all(not v[0] and v[1:].all() for v in valid)
    p0 = images_to_anchor_major(c0, 1).sigmoid()
    pf = images_to_anchor_major(cf, 1).sigmoid()
    col = images_to_anchor_major([
        torch.arange(c.shape[-1]).view(1, 1, 1, -1).expand_as(c).float()
        for c in c0
    ], 1)
    expected = torch.where(col == 0, p0, (p0 + pf) / 2)
    torch.testing.assert_close(cls, sharpen(expected, 0.7))


def test_guessed_targets_average_then_sharpen():
    model = build_focalmix(center_offset=0.5)
    forward = toy_head(model, equivariant=False)
    x = torch.rand(1, 3, 64, 64)
    cls, _, _ = model.guess_targets(x)
    c0, b0 = forward(x)
    cf, bf, _ = align_flipped_outputs(*forward(x.flip(-1)),
                                      model.bbox_head.prior_generator,
                                      model.bbox_head.bbox_coder, 64)
    mean = (images_to_anchor_major(c0, 1).sigmoid() +
            images_to_anchor_major(cf, 1).sigmoid()) / 2
    torch.testing.assert_close(cls, sharpen(mean, 0.7))
    assert not torch.allclose(cls, sharpen(
        images_to_anchor_major(c0, 1).sigmoid(), 0.7))
    only_identity = build_focalmix(guess_views=('identity', ))
    toy_head(only_identity, equivariant=False)
    cls1, _, _ = only_identity.guess_targets(x)
    torch.testing.assert_close(
        cls1, sharpen(images_to_anchor_major(c0, 1).sigmoid(), 0.7))


def test_without_mixup_losses_equal_mmdet_retinanet_with_alpha_a1():
    """Labeled images only, no mixing: mmdet's RetinaHead loss with
    FocalLoss(alpha = a1 = 0.95), to the last digit."""
    model = build_focalmix(image_mixup=False, object_mixup=False)
    ref_cfg = copy.deepcopy(TINY)
    ref_cfg['type'] = 'RetinaNet'
    ref_cfg['bbox_head']['loss_cls'] = dict(type='FocalLoss',
                                            use_sigmoid=True, gamma=2.0,
                                            alpha=0.95)
    ref = MODELS.build(ConfigDict(ref_cfg))
    ref.load_state_dict(model.state_dict())
    inputs, samples = batch(num_sup=2, num_unsup=0)
    samples['sup'][1].gt_instances = InstanceData(
        bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    model.train(), ref.train()
    ours = model.loss(inputs, samples)
    theirs = ref.loss(inputs['sup'], samples['sup'])
    torch.testing.assert_close(ours['sup_loss_cls'], sum(theirs['loss_cls']))
    torch.testing.assert_close(ours['sup_loss_bbox'],
                               sum(theirs['loss_bbox']))
    assert 'unsup_loss_cls' not in ours


def test_image_mixup_in_the_detector(monkeypatch):
    """The detector sees lam * x + (1 - lam) * x[perm], and its class
    targets are the same combination of the unmixed targets."""
    model = build_focalmix(object_mixup=False)
    model.eval()  # deterministic guesses for the reference targets
    seen = {}
    original = model.extract_feat

    def spy(x):
        seen.setdefault('x', []).append(x)
        return original(x)

    model.extract_feat = spy
    perm = torch.tensor([3, 2, 0, 1])
    monkeypatch.setattr(torch, 'randperm', lambda n, **kw: perm.clone())
    captured = {}
    real_loss = model.bbox_head.loss_cls.forward

    def spy_loss(pred, target, weight=None, **kw):
        captured.setdefault('t', []).append(target)
        return real_loss(pred, target, weight, **kw)

    monkeypatch.setattr(model.bbox_head.loss_cls, 'forward', spy_loss)
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    lam = losses['mixup_lambda'].item()
    x = torch.cat([inputs['sup'], inputs['unsup']])
    # seen: the guess pass (2 views of the unlabeled) then the mixed batch
    torch.testing.assert_close(seen['x'][-1], lam * x + (1 - lam) * x[perm])
    # reference targets of the unmixed pool
    guess, guess_box, sizes = model.guess_targets(inputs['unsup'])
    objects = [s.gt_instances for s in samples['sup']] + [
        InstanceData(bboxes=torch.zeros(0, 4),
                     labels=torch.zeros(0, dtype=torch.long))] * 2
    metas = [dict(s.metainfo) for s in samples['sup'] + samples['unsup']]
    cls_t = model.anchor_targets(sizes, objects, metas, 2, guess, guess_box,
                                 x.device)[0]
    mixed_t = lam * cls_t + (1 - lam) * cls_t[perm]
    got = torch.cat([captured['t'][0].view(2, -1, 1),
                     captured['t'][1].view(2, -1, 1)])
    torch.testing.assert_close(got, mixed_t)


def test_object_mixup_targets_and_pixels():
    model = build_focalmix(image_mixup=False, object_mixup_prob=1.0)
    inputs, samples = batch(num_sup=2, num_unsup=0)
    x = inputs['sup']
    objects = [s.gt_instances for s in samples['sup']]
    torch.manual_seed(3)
    mixed, info = model.mix_objects(x, objects, num_sup=2)
    assert len(info['image']) == 4  # every object was a destination
    boxes = torch.cat([o.bboxes for o in objects])
    changed = (mixed != x).any(1)  # [B, H, W]
    inside = torch.zeros_like(changed)
    for i, o in enumerate(objects):
        for b in o.bboxes:
            y0, y1, x0, x1 = box_to_slice(b, 64, 64)
            inside[i, y0:y1, x0:x1] = True
    assert changed.any() and not (changed & ~inside).any()
    # GT sources have confidence 1: the destination's anchors stay at 1
    metas = [dict(s.metainfo) for s in samples['sup']]
    cls_t, _, _, _, owner = model.anchor_targets(
        [torch.Size((8, 8)), torch.Size((4, 4)), torch.Size((2, 2))],
        objects, metas, 2, None, None, x.device)
    torch.testing.assert_close(
        model.mix_object_targets(cls_t, owner, info), cls_t)
    assert boxes.shape[0] == 4 and (owner >= 0).any()
    # a pseudo source of confidence 0.6 gives lam + (1 - lam) * 0.6
    info = dict(image=torch.tensor([1]), index=torch.tensor([0]),
                lam=torch.tensor([0.8]), source=torch.tensor([[0.6]]))
    mixed_t = model.mix_object_targets(cls_t, owner, info)
    mask = owner[1] == 0
    assert mask.any()
    torch.testing.assert_close(mixed_t[1, mask],
                               torch.full_like(mixed_t[1, mask], 0.92))
    torch.testing.assert_close(mixed_t[1, ~mask], cls_t[1, ~mask])
    torch.testing.assert_close(mixed_t[0], cls_t[0])


def test_pseudo_objects_from_confident_guesses():
    model = build_focalmix(object_score_thr=0.9)
    priors = torch.tensor([[0., 0., 16., 16.], [1., 0., 17., 16.],
                           [30., 30., 46., 46.]])
    scores = torch.tensor([[0.95], [0.93], [0.5]])
    deltas = torch.zeros(3, 4)
    obj = model.pseudo_objects(scores, deltas, priors, (64, 64))
    # the two overlapping confident boxes collapse by NMS, 0.5 is dropped
    assert len(obj) == 1
    torch.testing.assert_close(obj.bboxes, priors[:1])
    assert obj.scores.item() == pytest.approx(0.95)


def test_losses_gradients_and_no_gradient_through_targets():
    model = build_focalmix()
    model.train()
    calls = []
    original = model.guess_targets

    def spy(x):
        out = original(x)
        calls.append(out)
        return out

    model.guess_targets = spy
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert {'sup_loss_cls', 'sup_loss_bbox', 'unsup_loss_cls',
            'unsup_loss_bbox', 'mixup_lambda',
            'num_pseudo_objects'} <= set(losses)
    cls_t, box_t, _ = calls[0]
    assert not cls_t.requires_grad and not box_t.requires_grad
    total, log_vars = model.parse_losses(losses)
    assert 'mixup_lambda' in log_vars
    total.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None for g in grads)
    # the unlabeled term alone reaches the backbone
    model.zero_grad()
    losses = model.loss(inputs, samples)
    losses['unsup_loss_cls'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_config_errors():
    with pytest.raises(ValueError, match='unknown'):
        build_focalmix(sharpen_t=0.5)
    with pytest.raises(ValueError, match='guess_views'):
        build_focalmix(guess_views=('vflip', ))
    cfg = ConfigDict(copy.deepcopy(TINY))
    cfg.type = 'FocalMix'
    cfg.bbox_head.loss_cls = dict(type='FocalLoss', use_sigmoid=True)
    with pytest.raises(TypeError, match='SoftFocalLoss'):
        MODELS.build(cfg)


def test_predicts_as_a_retinanet():
    model = build_focalmix()
    model.eval()
    x, samples = batch(num_sup=1, num_unsup=0)
    out = model.predict(x['sup'], samples['sup'])
    assert isinstance(model, FocalMix)
    assert 'scores' in out[0].pred_instances


# ----------------------------------------------------------------------
# a few iterations through tools/train.py
# ----------------------------------------------------------------------
def test_focalmix_trains_through_the_runner(synthetic_dsb, tmp_path):
    work_dir = tmp_path / 'work'
    out = train_in_process('configs/demo/focalmix_r18_synth_2.5pct.py',
                           work_dir, [
                               *demo_data_options(synthetic_dsb, semi=True),
                               'train_cfg.max_iters=3',
                               'train_cfg.val_interval=3',
                               'default_hooks.checkpoint.interval=3'
                           ])
    for key in ('sup_loss_cls', 'sup_loss_bbox', 'unsup_loss_cls',
                'unsup_loss_bbox', 'mixup_lambda', 'coco/bbox_mAP'):
        assert key in out, key
    assert 'Iter(train) [3/3]' in out
    assert (work_dir / 'iter_3.pth').exists()


@pytest.mark.parametrize('depth', [50, 101])
@pytest.mark.parametrize('pct', [10, 50])
def test_table1_configs_follow_the_paper(depth, pct):
    from mmengine.config import Config
    cfg = Config.fromfile(
        str(REPO / 'configs/focalmix' / f'focalmix_r{depth}_dsb_{pct}pct.py'))
    assert cfg.model.type == 'FocalMix'
    assert cfg.model.backbone.depth == depth
    loss = cfg.model.bbox_head.loss_cls
    assert (loss.type, loss.alpha0, loss.alpha1, loss.gamma) == (
        'SoftFocalLoss', 0.05, 0.95, 2.0)
    semi = cfg.model.semi_train_cfg
    assert (semi.sharpen_temperature, semi.mixup_eta) == (0.7, 0.2)
    assert semi.image_mixup and semi.object_mixup
    assert cfg.train_cfg.max_iters == 200 * 34  # 200 epochs of DSB train
    assert cfg.param_scheduler[0].milestones == [150 * 34]
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-5)
    assert cfg.train_dataloader.batch_size == 16
    labeled, unlabeled = cfg.train_dataloader.dataset.datasets
    assert labeled.ann_file == f'annotations/semi/instances_train.1@{pct}.json'
    assert unlabeled.ann_file.endswith(f'@{pct}-unlabeled.json')
    assert cfg.default_hooks.checkpoint.save_best == 'coco/bbox_mAP'
    assert not cfg.get('custom_hooks')  # no teacher, no EMA hook
