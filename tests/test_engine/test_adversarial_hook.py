"""AdversarialHook: schedule, model switch and logging through the runner."""
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from mmengine.logging import MessageHub

import mmssmd  # noqa: F401
from conftest import demo_data_options, train_in_process
from mmssmd.engine.hooks import AdversarialHook

REPO = Path(__file__).resolve().parents[2]


class FakeDetector:

    def __init__(self):
        self.adversarial_cfg = 'untouched'
        self.adversarial_stats = {}

    def set_adversarial(self, cfg):
        self.adversarial_cfg = cfg


def fake_runner(iteration, model):
    return SimpleNamespace(iter=iteration, model=model,
                           message_hub=MessageHub.get_instance('iap-test'))


def test_eps_schedule_start_and_warmup():
    hook = AdversarialHook(xi=1e-7, eps=2.0, tau=0.9, start_iter=10,
                           warmup_iters=4)
    assert [hook.current_eps(i) for i in (0, 9)] == [0.0, 0.0]
    assert [hook.current_eps(i) for i in (10, 11, 12, 13, 14, 100)] == \
        pytest.approx([0.5, 1.0, 1.5, 2.0, 2.0, 2.0])
    assert AdversarialHook(start_iter=3).current_eps(3) == 2.0


def test_hook_switches_the_model_at_start_iter_and_logs():
    model = FakeDetector()
    hook = AdversarialHook(xi=1e-7, eps=2.0, tau=0.9, start_iter=2)
    hook.before_train(fake_runner(0, model))
    for it in (0, 1):
        runner = fake_runner(it, model)
        hook.before_train_iter(runner, it)
        assert model.adversarial_cfg is None
        hook.after_train_iter(runner, it)
        assert runner.message_hub.get_scalar('train/iap_eps').current() == 0
    runner = fake_runner(2, model)
    hook.before_train_iter(runner, 2)
    assert model.adversarial_cfg == dict(xi=1e-7, eps=2.0, tau=0.9)
    model.adversarial_stats = dict(share_above_tau=0.25,
                                   perturbation_norm=2.0, perturbed_images=3)
    hook.after_train_iter(runner, 2)
    hub = runner.message_hub
    assert hub.get_scalar('train/iap_eps').current() == 2.0
    assert hub.get_scalar('train/iap_share_above_tau').current() == 0.25
    assert hub.get_scalar('train/iap_perturbation_norm').current() == 2.0
    hook.after_train(runner)
    assert model.adversarial_cfg is None


def test_hook_rejects_models_without_iap_and_bad_values():
    with pytest.raises(TypeError, match='set_adversarial'):
        AdversarialHook().before_train(fake_runner(0, object()))
    with pytest.raises(ValueError):
        AdversarialHook(eps=-1)
    with pytest.raises(ValueError):
        AdversarialHook(start_iter=-1)


def test_iap_switches_on_at_start_iter_in_a_real_run(synthetic_dsb,
                                                    tmp_path):
    """tools/train.py with the SSMD demo: IAP from iteration 3 on (1-based).

    tau = 0 makes every anchor count, so the logged norm is exactly eps
    once IAP is on, whatever the young student predicts.
    """
    work_dir = tmp_path / 'work'
    # the demo SSMD with IAP from the third iteration (the demo leaf has it
    # off); tau = 0 makes every anchor count
    config = tmp_path / 'ssmd_iap.py'
    demo = REPO / 'configs/demo/ssmd_r18_synth_2.5pct.py'
    config.write_text(
        f"_base_ = '{demo}'\n"
        "custom_hooks = [\n"
        "    dict(type='EMATeacherHook', alpha=0.99, init='copy'),\n"
        "    dict(type='AdversarialHook', xi=1e-2, eps=2.0, tau=0.0,\n"
        "         start_iter=2)]\n")
    out = train_in_process(str(config), work_dir, [
        *demo_data_options(synthetic_dsb, semi=True, batch_size=2),
        'train_cfg.max_iters=4', 'train_cfg.val_interval=100',
        'default_hooks.checkpoint.interval=100'
    ])
    assert 'iap_eps' in out and 'iap_share_above_tau' in out
    (scalars, ) = work_dir.glob('*/vis_data/scalars.json')
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    records = [r for r in records if 'iap_eps' in r]
    assert [r['step'] for r in records] == [1, 2, 3, 4]
    assert [r['iap_eps'] for r in records] == [0.0, 0.0, 2.0, 2.0]
    assert 'iap_perturbation_norm' not in records[0]
    for r in records[2:]:
        assert r['iap_share_above_tau'] == 1.0
        assert r['iap_perturbation_norm'] == pytest.approx(2.0, abs=1e-3)
