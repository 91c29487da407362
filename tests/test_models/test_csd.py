"""The CSD detector: one network, two views, CSD's cost, both views trained."""
import copy
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.config import Config, ConfigDict

import mmssmd  # noqa: F401
from conftest import demo_data_options, tool_main, train_in_process
from fixtures.tiny_models import MULTI_BRANCH_PREPROCESSOR
from fixtures.tiny_models import det_sample as sample
from fixtures.tiny_models import semi_batch as batch
from fixtures.tiny_models import tiny_retinanet

REPO = Path(__file__).resolve().parents[2]
CSD_DEMO = 'configs/demo/csd_r18_synth_2.5pct.py'


def tiny_csd_cfg(strides=(8, 16, 32), center_offset=0., **semi_train_cfg):
    """CSD around a tiny RetinaNet: one anchor per position, width 2*s."""
    cfg = ConfigDict(tiny_retinanet(strides=strides,
                                    center_offset=center_offset))
    cfg.type = 'CSD'
    # assigned, not merged: ConfigDict.update would merge the two dicts
    cfg.data_preprocessor = copy.deepcopy(MULTI_BRANCH_PREPROCESSOR)
    cfg.consistency_loss = dict(type='CSDConsistencyLoss')
    cfg.semi_train_cfg = dict(semi_train_cfg)
    return cfg


def tiny_csd(strides=(8, 16, 32), center_offset=0., **semi_train_cfg):
    return MODELS.build(
        tiny_csd_cfg(strides, center_offset, **semi_train_cfg))


def bernoulli_kl(p, q):
    return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def test_hand_built_pair():
    """One level of 1 x 2 positions, one anchor; values checked by hand.

    Image 8 x 16, stride 8, mmdet's anchor centres at x = 0 and 8. Under the
    flip x -> 16 - x, column 1 (x = 8) is its own mirror position: it pairs
    with column 1 of the mirror's raw output, and the aligned ``dx`` is
    ``-dx_raw``. Column 0 (x = 0) mirrors to x = 16, where no anchor is: it
    has no partner and takes no part, however confident.
    """
    model = tiny_csd(strides=(8, ), consistency_schedule='constant')
    model.train()
    # [view, A*C, H, W]: view 0 = original, view 1 = raw mirror output
    z = torch.tensor([[[[2.5, 2.0]]], [[[3.0, 1.0]]]], requires_grad=True)
    d_o = [0.1, 0.2, 0.3, 0.4]  # original column 1
    d_f1 = [-0.3, 0.25, 0.35, 0.3]  # raw mirror column 1
    box = torch.zeros(2, 4, 1, 2)
    box[0, :, 0, 1] = torch.tensor(d_o)
    box[0, :, 0, 0] = torch.tensor([1., -1., 2., 0.5])  # unpaired
    box[1, :, 0, 1] = torch.tensor(d_f1)
    box[1, :, 0, 0] = torch.tensor([-2., 1., 0.3, 0.1])  # unpaired
    box.requires_grad_(True)
    seen = {}

    def extract_feat(x):
        seen['x'] = x
        return (x, )

    model.extract_feat = extract_feat
    model.bbox_head.forward = lambda feats: ([z], [box])
    x = torch.rand(1, 3, 8, 16)
    losses = model.loss({'sup': x}, {'sup': [sample(8, 16, [[1., 1., 9.,
                                                             7.]])]})
    torch.testing.assert_close(seen['x'], torch.cat([x, x.flip(-1)]))

    # the paired column 1 is kept (original view: sigmoid(2) > 0.5)
    p_o, p_f = sigmoid(2.0), sigmoid(1.0)
    cls = (bernoulli_kl(p_f, p_o) + bernoulli_kl(p_o, p_f)) / 2
    dx_f = 0.3
    sq = [(0.1 - dx_f)**2, (0.2 - 0.25)**2, (0.3 - 0.35)**2, (0.4 - 0.3)**2]
    loc = sum(sq) / 4
    assert losses['cons_loss_cls'].item() == pytest.approx(cls, rel=1e-5)
    assert losses['cons_loss_bbox'].item() == pytest.approx(loc, rel=1e-5)
    assert losses['consistency_anchor_weight'].item() == pytest.approx(1.0)
    assert losses['consistency_lambda'].item() == 1

    # gradients: each view is pulled towards the other's stop-gradient
    # target, d/dz KL(sg(q) || sigmoid(z)) = sigmoid(z) - q, halved
    g_z, g_box = torch.autograd.grad(
        losses['cons_loss_cls'] + losses['cons_loss_bbox'], (z, box))
    assert g_z[0, 0, 0, 1].item() == pytest.approx((p_o - p_f) / 2, rel=1e-5)
    assert g_z[1, 0, 0, 1].item() == pytest.approx((p_f - p_o) / 2, rel=1e-5)
    assert g_z[0, 0, 0, 0] == 0 and g_z[1, 0, 0, 0] == 0
    # location: d/d dx_o (dx_o - dx_f)^2 / 4 and, through dx_f = -raw, the
    # same value for the raw mirror dx
    assert g_box[0, 0, 0, 1].item() == pytest.approx((0.1 - dx_f) / 2)
    assert g_box[1, 0, 0, 1].item() == pytest.approx((0.1 - dx_f) / 2)
    assert g_box[0, 3, 0, 1].item() == pytest.approx((0.4 - 0.3) / 2)
    assert g_box[1, 3, 0, 1].item() == pytest.approx(-(0.4 - 0.3) / 2)
    assert torch.all(g_box[:, :, 0, 0] == 0)


def equivariant_head(strides, odd=True):
    """A parameter-free head that is exactly mirror-equivariant about the
    centres of its pooling cells, ``(j + 0.5) * s``.

    Per level (stride s): ``p = avg_pool(mean_c(x), s)``; class logit ``p``;
    ``dx = u`` with ``u`` the central difference of ``p`` along the width
    (odd under a mirror); ``dy, dw, dh`` even functions of p. With anchors
    at the cell centres (``center_offset=0.5``) the aligned mirror outputs
    equal the original ones exactly.
    """
    kernel = torch.tensor([[[[-1., 0., 1.]]]]) if odd else torch.tensor(
        [[[[0., -1., 1.]]]])

    def forward(feats):
        x = feats[0].mean(1, keepdim=True)
        cls, box = [], []
        for s in strides:
            p = F.avg_pool2d(x, s)
            u = F.conv2d(p, kernel, padding=(0, 1))
            cls.append(p)
            box.append(torch.cat([u, p, p**2, -p], dim=1))
        return cls, box

    return forward


@pytest.mark.parametrize('offset,odd,zero', [(0.5, True, True),
                                             (0.5, False, False),
                                             (0.0, True, False)])
def test_mirror_equivariant_toy_has_zero_consistency(offset, odd, zero):
    strides = (8, 16)
    model = tiny_csd(strides=strides, center_offset=offset,
                     consistency_schedule='constant')
    model.extract_feat = lambda x: (x, )
    model.bbox_head.forward = equivariant_head(strides, odd)
    torch.manual_seed(1)
    inputs = {'sup': torch.randn(2, 3, 32, 64),
              'unsup': torch.randn(2, 3, 32, 64)}
    samples = {'sup': [sample(32, 64, [[4., 4., 20., 18.]])] * 2,
               'unsup': [sample(32, 64)] * 2}
    losses = model.loss(inputs, samples)
    assert 0 < losses['consistency_anchor_weight'] < 1  # some anchors kept
    total = losses['cons_loss_cls'] + losses['cons_loss_bbox']
    if zero:
        assert total.item() == pytest.approx(0, abs=1e-10)
    else:  # a non-equivariant head, or anchors off the cell centres
        assert total.item() > 1e-3


def test_one_network_both_views_get_gradient():
    model = tiny_csd()
    model.train()
    assert not hasattr(model, 'teacher')
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert {'sup_loss_cls', 'sup_loss_bbox', 'cons_loss_cls',
            'cons_loss_bbox', 'consistency_lambda',
            'consistency_anchor_weight'} <= set(losses)
    total, log = model.parse_losses(losses)
    total.backward()
    assert all(p.grad is not None for p in model.parameters())
    # the consistency term alone reaches the backbone, through both views
    model.zero_grad()
    model.eval()  # BN statistics of the batch would couple the two views
    x = torch.cat([inputs['sup'], inputs['unsup']])
    cls_o, box_o, cls_f, box_f, _ = model.two_view_outputs(x)
    g_o = torch.autograd.grad(box_o[0].sum(), model.backbone.conv1.weight,
                              retain_graph=True)[0]
    g_f = torch.autograd.grad(box_f[0].sum(), model.backbone.conv1.weight)[0]
    assert g_o.abs().sum() > 0 and g_f.abs().sum() > 0
    losses = model.loss(inputs, samples)
    (losses['cons_loss_cls'] + losses['cons_loss_bbox']).backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_unlabeled_images_enter_the_consistency_only():
    model = tiny_csd(consistency_schedule='constant')
    model.eval()
    inputs, samples = batch()
    a = model.loss(inputs, samples)
    inputs2 = copy.deepcopy(inputs)
    inputs2['unsup'] = torch.rand_like(inputs['unsup'])
    b = model.loss(inputs2, samples)
    torch.testing.assert_close(a['sup_loss_cls'], b['sup_loss_cls'])
    assert a['cons_loss_bbox'] != b['cons_loss_bbox']
    # a plain (all labeled) batch is accepted too
    c = model.loss(inputs['sup'], samples['sup'])
    torch.testing.assert_close(c['sup_loss_cls'], a['sup_loss_cls'])


def test_checkpoint_is_a_plain_retinanet_and_predict_works():
    model = tiny_csd()
    # the same detector as a plain RetinaNet loads CSD's weights strictly
    cfg = tiny_csd_cfg()
    cfg.type = 'RetinaNet'
    cfg.data_preprocessor = cfg.data_preprocessor.data_preprocessor
    del cfg['consistency_loss'], cfg['semi_train_cfg']
    plain = MODELS.build(cfg)
    plain.load_state_dict(model.state_dict(), strict=True)
    model.eval()
    plain.eval()
    data = {'inputs': [torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)],
            'data_samples': [sample(64, 64)]}
    out = model.test_step(data)
    ref = plain.test_step(copy.deepcopy(data))
    torch.testing.assert_close(out[0].pred_instances.bboxes,
                               ref[0].pred_instances.bboxes)


def test_ramp_and_bad_options():
    from mmengine.logging import MessageHub
    model = tiny_csd()
    hub = MessageHub.get_instance('test_csd_ramp')
    hub.update_info('max_iters', 400)
    hub.update_info('iter', 0)
    inputs, samples = batch()
    assert model.loss(inputs, samples)['consistency_lambda'].item() == \
        pytest.approx(math.exp(-5))
    hub.update_info('iter', 200)
    assert model.loss(inputs, samples)['consistency_lambda'].item() == 1
    with pytest.raises(ValueError, match='unknown semi_train_cfg'):
        tiny_csd(cutout_holes=5)
    with pytest.raises(ValueError, match='consistency_schedule'):
        tiny_csd(consistency_schedule='linear')
    with pytest.raises(ValueError, match="use 'gaussian_ramp'"):
        tiny_csd(consistency_schedule='ssmd')


def test_configs_have_no_teacher_machinery():
    for name in ('csd/csd_r50_dsb_10pct.py', 'csd/csd_r101_dsb_50pct.py',
                 'demo/csd_r18_synth_2.5pct.py'):
        cfg = Config.fromfile(str(REPO / 'configs' / name))
        assert cfg.model.type == 'CSD'
        assert cfg.model.consistency_loss.type == 'CSDConsistencyLoss'
        hooks = [h.type for h in cfg.get('custom_hooks', [])]
        assert 'EMATeacherHook' not in hooks and 'MeanTeacherHook' not in hooks
        assert cfg.val_cfg.type == 'ValLoop'
        assert 'student/' not in str(cfg.default_hooks.checkpoint.save_best)


def test_csd_trains_through_the_runner(synthetic_dsb, tmp_path):
    """A few iterations of the CSD demo via tools/train.py, then test.py."""
    opts = [*demo_data_options(synthetic_dsb, semi=True),
            'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
            'default_hooks.checkpoint.interval=3']
    work = tmp_path / 'csd'
    out = train_in_process(CSD_DEMO, work, opts)
    for key in ('sup_loss_cls', 'sup_loss_bbox', 'cons_loss_cls',
                'cons_loss_bbox', 'consistency_lambda', 'coco/bbox_mAP'):
        assert key in out, key
    assert 'student/coco' not in out and 'teacher/coco' not in out
    assert 'Iter(train) [3/3]' in out
    ckpt = work / 'iter_3.pth'
    assert ckpt.exists()
    state = torch.load(ckpt, map_location='cpu')['state_dict']
    assert not any(k.startswith(('teacher.', 'student.')) for k in state)
    tool_main('test.py', [CSD_DEMO, ckpt, '--work-dir', tmp_path / 'test',
                          '--out', tmp_path / 'preds.pkl', '--cfg-options',
                          *opts])
    assert (tmp_path / 'preds.pkl').exists()
    (log, ) = (tmp_path / 'test').glob('*/*.log')
    assert 'coco/bbox_mAP:' in log.read_text()
