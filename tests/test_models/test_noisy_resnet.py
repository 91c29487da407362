"""NoisyResNet: noisy residual blocks (Eqs. 6-7) and Table 4's options."""
import pytest
import torch
from mmdet.models.backbones import ResNet
from mmdet.registry import MODELS

import mmssmd  # noqa: F401
from mmssmd.models.backbones import NoisyResNet
from mmssmd.models.layers import (FeatureDropBlock, GaussianNoise,
                                  NoisyResidualBlock,
                                  ScaledNoisyResidualBlock)

TINY = dict(depth=18, base_channels=16, norm_eval=False, init_cfg=None)
NRB = dict(type='NoisyResidualBlock')
DROPOUT = dict(type='Dropout', drop_prob=0.1)
DROPBLOCK = dict(type='FeatureDropBlock', stages=(False, False, True, True))
GAUSSIAN = dict(type='GaussianNoise')
TABLE4 = {
    'dropout': [DROPOUT],
    'dropblock': [DROPBLOCK],
    'gaussian': [GAUSSIAN],
    'nrb': [NRB],
    'nrb+dropout': [NRB, DROPOUT],
    'nrb+gaussian': [NRB, GAUSSIAN],
}


def inputs(size=64):
    torch.manual_seed(0)
    return torch.rand(2, 3, size, size)


def plain_and_noisy(**kwargs):
    torch.manual_seed(0)
    plain = ResNet(**TINY)
    noisy = NoisyResNet(**kwargs, **TINY)
    missing, unexpected = noisy.load_state_dict(plain.state_dict(),
                                                strict=False)
    assert not unexpected
    return plain, noisy


def test_registered_with_nrb_by_default():
    model = MODELS.build(dict(type='NoisyResNet', **TINY))
    assert isinstance(model, NoisyResNet) and isinstance(model, ResNet)
    assert model.perturbation == [dict(type='NoisyResidualBlock')]
    for stage, num_blocks in zip(model.perturbations, model.stage_blocks):
        assert len(stage) == num_blocks
        assert all(isinstance(m, NoisyResidualBlock) for m in stage)
        assert all(m.gamma == 0.9 for m in stage)


def test_eval_output_equals_plain_resnet():
    plain, noisy = plain_and_noisy()
    plain.eval(), noisy.eval()
    x = inputs()
    with torch.no_grad():
        for a, b in zip(plain(x), noisy(x)):
            assert torch.equal(a, b)


@pytest.mark.parametrize('none', [None, []])
def test_no_perturbation_equals_plain_resnet_in_train_mode(none):
    plain, noisy = plain_and_noisy(perturbation=none)
    assert noisy.perturbations is None
    assert noisy.state_dict().keys() == plain.state_dict().keys()
    plain.train(), noisy.train()
    x = inputs()
    for a, b in zip(plain(x), noisy(x)):
        assert torch.equal(a, b)


def test_resnet_state_dict_loads_with_only_the_new_blocks_missing():
    resnet = ResNet(depth=18)
    noisy = NoisyResNet(depth=18)
    missing, unexpected = noisy.load_state_dict(resnet.state_dict(),
                                                strict=False)
    assert unexpected == []
    new = {k for k in noisy.state_dict() if k.startswith('perturbations.')}
    # one block per residual block (2+2+2+2), a 1x1 conv with bias each
    assert len(new) == 8 * 2
    assert set(missing) == new
    assert all(k.endswith(('.conv.weight', '.conv.bias')) for k in new)


def test_nrb_noise_vanishes_when_the_gate_is_closed():
    block = NoisyResidualBlock(8).train()
    torch.nn.init.zeros_(block.conv.weight)
    torch.nn.init.constant_(block.conv.bias, -1e4)
    x = torch.randn(2, 8, 16, 16)
    assert torch.equal(block(x), x)


def test_nrb_noise_has_std_sigma_when_the_gate_is_open():
    block = NoisyResidualBlock(8, sigma=2.0).train()
    torch.nn.init.zeros_(block.conv.weight)
    torch.nn.init.constant_(block.conv.bias, 1e4)
    x = torch.randn(4, 8, 32, 32)
    torch.manual_seed(0)
    noise = block(x) - x
    assert noise.std().item() == pytest.approx(2.0, rel=0.05)
    assert noise.mean().item() == pytest.approx(0.0, abs=0.05)


def test_nrb_gate_is_per_channel():
    block = NoisyResidualBlock(2, mu=1.0, sigma=0.0).train()
    torch.nn.init.zeros_(block.conv.weight)
    with torch.no_grad():
        block.conv.bias.copy_(torch.tensor([-1e4, 1e4]))
    x = torch.randn(1, 2, 4, 4)
    out = block(x)
    assert torch.equal(out[:, 0], x[:, 0])
    assert torch.allclose(out[:, 1], x[:, 1] + 1.0)
    # mu=0, sigma=0 and an intermediate gate: sigmoid(gamma * Xp)
    block = NoisyResidualBlock(2, gamma=0.9, mu=1.0, sigma=0.0).train()
    scale = block.noise_scale(x)
    assert scale.shape == (1, 2, 1, 1)
    assert torch.allclose(block(x) - x, scale.expand_as(x))


def test_nrb_is_identity_in_eval():
    block = NoisyResidualBlock(8).eval()
    x = torch.randn(2, 8, 4, 4)
    assert block(x) is x


def test_gradients_reach_the_attention_conv():
    _, noisy = plain_and_noisy()
    noisy.train()
    sum(o.sum() for o in noisy(inputs())).backward()
    for stage in noisy.perturbations:
        for block in stage:
            assert block.conv.weight.grad is not None
            assert block.conv.weight.grad.abs().sum() > 0
            assert block.conv.bias.grad.abs().sum() > 0


@pytest.mark.parametrize('ptype', sorted(TABLE4))
def test_table4_options_perturb_only_in_training(ptype):
    plain, noisy = plain_and_noisy(perturbation=TABLE4[ptype])
    x = inputs(128)
    noisy.eval(), plain.eval()
    with torch.no_grad():
        eval_out = noisy(x)
        assert all(
            torch.equal(a, b) for a, b in zip(eval_out, noisy(x)))
        assert all(torch.equal(a, b) for a, b in zip(eval_out, plain(x)))
        noisy.train()
        if ptype == 'dropblock':  # skip its warm-up
            for stage in noisy.perturbations:
                for m in stage:
                    if hasattr(m, 'iter_cnt'):
                        m.iter_cnt = m.warmup_iters
        train_out = noisy(x)
    assert not torch.equal(train_out[-1], eval_out[-1])


def test_stages_select_the_stages_of_each_entry():
    model = NoisyResNet(perturbation=[DROPBLOCK], **TINY)
    for stage, on in zip(model.perturbations, (False, False, True, True)):
        assert all(
            isinstance(m, torch.nn.Identity) is (not on) for m in stage)
        assert all(isinstance(m, FeatureDropBlock) is on for m in stage)
    model.train()
    model(inputs(64))  # 2x2 res5 maps: the block shrinks to fit
    model = NoisyResNet(perturbation=[
        dict(type='NoisyResidualBlock', stages=(False, True, False, True))
    ], **TINY)
    kinds = [type(stage[0]).__name__ for stage in model.perturbations]
    assert kinds == ['Identity', 'NoisyResidualBlock', 'Identity',
                     'NoisyResidualBlock']


def test_entries_apply_in_list_order_with_their_options():
    model = NoisyResNet(perturbation=[
        dict(type='NoisyResidualBlock', gamma=0.5),
        dict(type='Dropout', drop_prob=0.3)
    ], **TINY)
    nrb, dropout = model.perturbations[0][0]
    assert isinstance(nrb, NoisyResidualBlock) and nrb.gamma == 0.5
    assert isinstance(dropout, torch.nn.Dropout) and dropout.p == 0.3
    # every block gets its own module, with its stage's channels
    assert model.perturbations[0][0] is not model.perturbations[0][1]
    assert [stage[0][0].channels for stage in model.perturbations] == [
        16, 32, 64, 128]
    # reversed list, reversed order
    model = NoisyResNet(perturbation=[DROPOUT, NRB], **TINY)
    dropout, nrb = model.perturbations[1][1]
    assert isinstance(dropout, torch.nn.Dropout)
    assert isinstance(nrb, NoisyResidualBlock)


def test_partly_overlapping_stages_stack_where_both_apply():
    model = NoisyResNet(perturbation=[NRB, DROPBLOCK], **TINY)
    assert isinstance(model.perturbations[1][0], NoisyResidualBlock)
    nrb, drop = model.perturbations[2][0]
    assert isinstance(nrb, NoisyResidualBlock)
    assert isinstance(drop, FeatureDropBlock)


def test_state_dict_keys_of_single_nrb_and_nrb_dropout():
    """Checkpoints of the string-typed API ('nrb', 'nrb+dropout') load:
    one module sits at perturbations.{stage}.{block}, several in an
    nn.Sequential at the same place."""
    nrb = NoisyResNet(perturbation=[NRB], **TINY).state_dict()
    expected = {f'perturbations.{s}.{b}.conv.{p}'
                for s in range(4) for b in range(2)
                for p in ('weight', 'bias')}
    assert {k for k in nrb if k.startswith('perturbations.')} == expected
    both = NoisyResNet(perturbation=[NRB, DROPOUT], **TINY).state_dict()
    expected = {f'perturbations.{s}.{b}.0.conv.{p}'
                for s in range(4) for b in range(2)
                for p in ('weight', 'bias')}
    assert {k for k in both if k.startswith('perturbations.')} == expected
    # the Dropout and Identity placeholders hold no state
    drop = NoisyResNet(perturbation=[DROPBLOCK], **TINY).state_dict()
    assert {k for k in drop if k.startswith('perturbations.')} == {
        f'perturbations.{s}.{b}._extra_state' for s in (2, 3)
        for b in range(2)}


def test_class_defaults_are_the_table4_defaults():
    nrb = NoisyResidualBlock(4)
    assert (nrb.gamma, nrb.mu, nrb.sigma) == (0.9, 0.0, 1.0)
    scaled = ScaledNoisyResidualBlock(4)
    assert (scaled.gamma, scaled.mu, scaled.sigma) == (0.9, 0.0, 0.1)
    drop = FeatureDropBlock()
    assert (drop.drop_prob, drop.block_size, drop.warmup_iters) == (0.1, 5,
                                                                    2000)
    assert GaussianNoise().sigma == 0.5


@pytest.mark.parametrize('bad, error, match', [
    ([dict(type='mixup')], KeyError, r'perturbation\[0\].*mixup'),
    ([NRB, dict(type='NoisyResidualBlock', p=0.1)], ValueError, 'p'),
    ([dict(type='FeatureDropBlock', block_size=5, drop=0.1)], ValueError,
     'FeatureDropBlock'),
    ([dict(type='NoisyResidualBlock', stages=(True, True))], ValueError,
     r'perturbation\[0\].*one bool per stage'),
    ([NRB, dict(type='GaussianNoise', stages=(1, 0, 1, 0))], ValueError,
     r'perturbation\[1\].*GaussianNoise'),
    ([dict(type='NoisyResidualBlock', channels=8)], ValueError, 'channels'),
    (dict(type='NoisyResidualBlock'), ValueError, 'list'),
])
def test_bad_perturbations_raise(bad, error, match):
    with pytest.raises(error, match=match):
        NoisyResNet(perturbation=bad, **TINY)


def test_dropblock_warmup_position_survives_a_checkpoint():
    """A resumed run continues DropBlock's drop_prob warm-up."""
    model = NoisyResNet(perturbation=[DROPBLOCK], **TINY)
    model.train()
    for _ in range(3):
        model(torch.rand(1, 3, 64, 64))
    state = model.state_dict()
    extra = [k for k in state if k.endswith('_extra_state')]
    assert extra and all(state[k] == {'iter_cnt': 3} for k in extra)
    fresh = NoisyResNet(perturbation=[DROPBLOCK], **TINY)
    fresh.load_state_dict(state)
    counters = [m.iter_cnt for m in fresh.modules() if hasattr(m, 'iter_cnt')]
    assert counters and set(counters) == {3}


def test_scaled_nrb_noise_is_relative_to_each_channel_spread():
    """ScaledNoisyResidualBlock: noise std = sigma * std_hw(x) per image
    and channel (gate open), whatever the scale of the features."""
    from mmssmd.models.layers import ScaledNoisyResidualBlock
    block = ScaledNoisyResidualBlock(2, sigma=0.2).train()
    torch.nn.init.zeros_(block.conv.weight)
    torch.nn.init.constant_(block.conv.bias, 1e4)
    torch.manual_seed(0)
    x = torch.randn(3, 2, 64, 64)
    x[:, 1] *= 50.0  # a channel 50x larger
    x[2] *= 0.01  # an image 100x smaller
    noise = block(x) - x
    ratio = noise.flatten(2).std(dim=2) / x.flatten(2).std(dim=2)
    torch.testing.assert_close(ratio, torch.full_like(ratio, 0.2), rtol=0.05,
                               atol=0)
    assert block.eval()(x) is x
    # the gate scales it as in the paper's block
    torch.nn.init.constant_(block.conv.bias, -1e4)
    assert torch.equal(block.train()(x), x)


def test_scaled_nrb_is_a_perturbation_type():
    from mmssmd.models.layers import ScaledNoisyResidualBlock
    _, noisy = plain_and_noisy(perturbation=[
        dict(type='ScaledNoisyResidualBlock', sigma=0.05)
    ])
    blocks = [b for stage in noisy.perturbations for b in stage]
    assert all(isinstance(b, ScaledNoisyResidualBlock) for b in blocks)
    assert {b.sigma for b in blocks} == {0.05}


def _reference_add_noise(block, x, noise, spread=None):
    """The block's formula with autograd's addcmul (which saves noise)."""
    coef = block.noise_scale(x)
    if spread is not None:
        coef = coef * spread
    return torch.addcmul(x, noise, coef * block.sigma)


@pytest.mark.parametrize('scaled', [False, True])
def test_nrb_gradients_equal_the_plain_formula(scaled):
    torch.manual_seed(0)
    block = (ScaledNoisyResidualBlock if scaled else NoisyResidualBlock)(6)
    block.train()
    x = torch.randn(2, 6, 9, 7, requires_grad=True)
    grad_out = torch.randn(2, 6, 9, 7)
    torch.manual_seed(1)
    out = block(x)
    torch.manual_seed(1)
    noise = torch.randn_like(x)
    spread = x.detach().flatten(2).std(dim=2)[..., None, None] \
        if scaled else None
    ref = _reference_add_noise(block, x, noise, spread)
    torch.testing.assert_close(out, ref)
    params = [x, *block.parameters()]
    got = torch.autograd.grad((out * grad_out).sum(), params)
    want = torch.autograd.grad((ref * grad_out).sum(), params)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)


def _saved_bytes(module, x):
    """Bytes of distinct storages autograd saves for ``module(x)``."""
    storages = {}

    def pack(t):
        storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        module(x).sum()
    return sum(storages.values())


def test_nrb_backward_keeps_no_noise_map():
    """Between a ReLU and a convolution (as in the ResNet), the block adds
    no full-size saved tensor: its backward reads the input and output
    that the ReLU and the convolution keep anyway."""
    torch.manual_seed(0)
    c = 16
    x = torch.randn(2, c, 32, 32, requires_grad=True)
    conv = torch.nn.Conv2d(c, c, 3, padding=1)
    block = NoisyResidualBlock(c).train()
    plain = _saved_bytes(
        torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Identity(), conv), x)
    noisy = _saved_bytes(torch.nn.Sequential(torch.nn.ReLU(), block, conv),
                         x)
    feature_map = x.numel() * x.element_size()
    # the noisy path's output is a new map that the conv saves instead of
    # the ReLU's; anything else is per-channel (gate, pooled input)
    assert noisy - plain < feature_map + 4096
    # autograd's addcmul would keep the noise map as well
    block.add_noise = lambda t, *_: _reference_add_noise(
        block, t, torch.randn_like(t))
    with_addcmul = _saved_bytes(
        torch.nn.Sequential(torch.nn.ReLU(), block, conv), x)
    assert with_addcmul - noisy > feature_map - 4096


def test_spatial_std_matches_float64_std():
    """The one-pass spread equals torch's two-pass std computed in float64,
    also for channels whose mean is 100 times their spread, and is 0 for a
    constant channel and a 1 x 1 map."""
    from mmssmd.models.layers.noisy_residual_block import spatial_std
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, 56, 48, generator=g).relu()
    x[:, 1] = 100.0 + torch.randn(3, 56, 48, generator=g)  # mean 100 x std
    x[:, 2] = 7.0  # constant
    x[1, 3] *= 1e-3  # tiny features
    mean = x.mean(dim=(2, 3), keepdim=True)
    got = spatial_std(x, mean)
    want = x.double().flatten(2).std(dim=2)[..., None, None]
    assert got.shape == (3, 4, 1, 1)
    torch.testing.assert_close(got[:, [0, 3]].double(), want[:, [0, 3]],
                               rtol=1e-4, atol=0)
    # cancellation in float32 costs digits where the mean dwarfs the
    # spread: still within 1% of the spread (1) at mean 100
    assert (got[:, 1].double() - want[:, 1]).abs().max() < 1e-2
    assert (got[:, 2] < 1e-3 * 7).all()
    one = torch.randn(2, 3, 1, 1, generator=g)
    assert torch.equal(spatial_std(one, one), torch.zeros(2, 3, 1, 1))
