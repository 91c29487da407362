"""Exact resume of an SSMD run (issue 8, item 1), and RandomStateHook.

The end-to-end test trains a tiny SSMD demo-like config (half-width
ResNet-18, 96 px, 2 + 2 images a step, the session's synthetic data) for 6 iterations with a fixed seed in
deterministic mode, and the same run killed with SIGKILL right after the
checkpoint (and validation) of iteration 3 and resumed with
``tools/train.py --resume``. The student, the EMA teacher, the optimizer,
the schedulers and the logged losses and lambda of iterations 4-6 must be
equal, bit for bit. Without RandomStateHook they are not (the cutout holes
and noisy residual blocks of the resumed steps draw from a freshly seeded
torch generator).
"""
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from mmssmd.engine.hooks import RandomStateHook
from mmssmd.engine.hooks.random_state_hook import (get_random_state,
                                                    set_random_state)
from mmssmd.models.utils import gaussian_ramp_weight
from mmssmd.utils import register_checkpoint_safe_globals

REPO = Path(__file__).resolve().parents[2]

KILL_HOOK = '''
import os
import signal

from mmengine.hooks import Hook
from mmdet.registry import HOOKS


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """SIGKILL the process after the hooks of iteration `at` (1-based)."""
    priority = 'LOWEST'  # after CheckpointHook wrote its file

    def __init__(self, at):
        self.at = at

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.at:
            os.kill(os.getpid(), signal.SIGKILL)
'''

CONFIG = '''
_base_ = '{repo}/configs/demo/ssmd_r18_synth_2.5pct.py'
__root = '{root}/'
image_size = (96, 96)
randomness = dict(seed=7, deterministic=True)
# the random parts the demo leaf leaves off (noisy blocks, cutout) and an
# EMA teacher, so that their state and random streams are part of the test
model = dict(
    detector=dict(backbone=dict(perturbation=[
        dict(type='ScaledNoisyResidualBlock', gamma=0.9, mu=0.0,
             sigma=0.1)])),
    semi_train_cfg=dict(cutout_holes=5, cutout_size=16))
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.99, init='copy', buffers='ema')]
labeled_dataset = _base_.labeled_dataset
unlabeled_dataset = _base_.unlabeled_dataset
test_pipeline = _base_.test_pipeline
labeled_dataset.data_root = __root
labeled_dataset.ann_file = 'annotations/semi/instances_train.1@50.json'
unlabeled_dataset.data_root = __root
unlabeled_dataset.ann_file = \\
    'annotations/semi/instances_train.1@50-unlabeled.json'
for __p in (labeled_dataset.pipeline, unlabeled_dataset.pipeline,
            test_pipeline):
    for __t in __p:
        if __t.type == 'Resize':
            __t.scale = image_size
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(batch_size=4),
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=__root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=__root + 'annotations/instances_val.json')
test_evaluator = dict(ann_file=__root + 'annotations/instances_val.json')
max_iters = 6
# validation right after the checkpoint: it must not shift the random stream
train_cfg = dict(max_iters=max_iters, val_interval=3)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=4),
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False,
         milestones=[5], gamma=0.1)]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=3, max_keep_ckpts=3, save_best=None))
'''


def train(cfg, work_dir, *extra, env=None, expect_rc=0):
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', str(cfg), '--work-dir',
         str(work_dir), *extra], cwd=REPO, capture_output=True, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED='1', **(env or {})))
    out = proc.stdout + proc.stderr
    assert proc.returncode == expect_rc, out[-5000:]
    return out


def logged(out, key):
    """{iteration: value} of a logged scalar."""
    pattern = re.compile(r'Iter\(train\) \[\s*(\d+)/\d+\].*?\s' + key +
                         r': ([-\d.e]+)')
    return {int(m.group(1)): float(m.group(2))
            for m in pattern.finditer(out)}


@pytest.mark.slow
def test_killed_and_resumed_ssmd_run_equals_uninterrupted(
        synthetic_dsb, tmp_path):
    cfg = tmp_path / 'ssmd_tiny.py'
    cfg.write_text(CONFIG.format(repo=REPO, root=synthetic_dsb))
    plugin = tmp_path / 'plugin'
    plugin.mkdir()
    (plugin / 'kill_at_iter_hook.py').write_text(KILL_HOOK)
    kill_cfg = tmp_path / 'ssmd_tiny_killed.py'
    kill_cfg.write_text(
        "_base_ = './ssmd_tiny.py'\n"
        "custom_imports = dict(imports=['mmssmd', 'kill_at_iter_hook'],\n"
        '                      allow_failed_imports=False)\n'
        "default_hooks = dict(kill=dict(type='KillAtIterHook', at=3))\n")

    full = train(cfg, tmp_path / 'full')

    killed = tmp_path / 'killed'
    train(kill_cfg, killed, env=dict(PYTHONPATH=str(plugin)),
          expect_rc=-9)  # SIGKILL: no clean-up, like a preempted job
    assert (killed / 'iter_3.pth').exists()
    assert not (killed / 'iter_6.pth').exists()
    resumed = train(cfg, killed, '--resume')
    assert 'resumed epoch: 0, iter: 3' in resumed
    assert 'are restored before the first new batch' in resumed
    assert 'Iter(train) [1/6]' not in resumed

    # the logged losses and the lambda position of the resumed steps
    for key in ('loss', 'sup_loss_cls', 'cons_loss_cls',
                'consistency_lambda'):
        a, b = logged(full, key), logged(resumed, key)
        assert set(b) == {4, 5, 6}, (key, b)
        assert {i: a[i] for i in (4, 5, 6)} == b, key
    # lambda continues the ramp of Eq. 10 (logged rounded to 4 digits)
    lam = logged(resumed, 'consistency_lambda')
    for i in (4, 5, 6):
        assert abs(lam[i] - gaussian_ramp_weight(i - 1, 6)) < 1e-4
    assert lam[6] < 0.3  # the ramp-down: a restarted iteration shows

    register_checkpoint_safe_globals()  # torch >= 2.6, weights_only
    a = torch.load(tmp_path / 'full' / 'iter_6.pth', map_location='cpu')
    b = torch.load(killed / 'iter_6.pth', map_location='cpu')
    sa, sb = a['state_dict'], b['state_dict']
    assert sa.keys() == sb.keys()
    for prefix in ('student.', 'teacher.'):
        keys = [k for k in sa if k.startswith(prefix)]
        assert keys
        for k in keys:
            assert torch.equal(sa[k], sb[k]), k
    # the teacher is an EMA, not a copy, of the student
    assert any(not torch.equal(sa['student.' + k[8:]], sa[k])
               for k in sa if k.startswith('teacher.')
               and sa[k].is_floating_point())
    oa, ob = a['optimizer'], b['optimizer']
    assert oa['param_groups'] == ob['param_groups']
    assert oa['state'].keys() == ob['state'].keys() and oa['state']
    for i in oa['state']:
        for name, value in oa['state'][i].items():
            assert torch.equal(value, ob['state'][i][name]), (i, name)
    assert a['param_schedulers'] == b['param_schedulers']
    assert a['meta']['iter'] == b['meta']['iter'] == 6
    assert torch.equal(a['random_state']['states'][0]['torch'],
                       b['random_state']['states'][0]['torch'])


# ---------------------------------------------------------------------------
# RandomStateHook units
# ---------------------------------------------------------------------------
def draw():
    return (random.random(), float(np.random.rand()),
            float(torch.rand(())))


def test_get_set_random_state_roundtrip():
    state = get_random_state()
    first = draw()
    draw()
    set_random_state(state)
    assert draw() == first


class FakeLoop:

    def __init__(self, n):
        self.dataloader_iterator = iter(range(n))


def fake_runner(iteration, loop=None, resume=True):
    logs = []
    logger = SimpleNamespace(info=logs.append, warning=logs.append)
    return SimpleNamespace(iter=iteration, epoch=0, train_loop=loop,
                           _resume=resume, logger=logger, logs=logs)


def test_restore_happens_after_the_replayed_batches():
    """The generators are set when the first *new* batch is fetched."""
    hook = RandomStateHook()
    ckpt = {}
    hook.before_save_checkpoint(fake_runner(3), ckpt)
    expected = draw()
    assert ckpt['random_state']['world_size'] == 1

    hook = RandomStateHook()
    hook.after_load_checkpoint(fake_runner(3), ckpt)
    loop = FakeLoop(10)
    hook.before_train_epoch(fake_runner(3, loop))
    torch.manual_seed(123)
    np.random.seed(123)
    random.seed(123)
    # the loop replays 3 batches, drawing in between (a pipeline would)
    for i in range(3):
        assert next(loop.dataloader_iterator) == i
        draw()
    assert next(loop.dataloader_iterator) == 3
    assert draw() == expected
    # the wrapper has put the plain iterator back
    assert not hasattr(loop.dataloader_iterator, 'skip')


def test_validation_does_not_shift_the_training_stream():
    hook = RandomStateHook()
    runner = fake_runner(0)
    torch.manual_seed(0)
    state = get_random_state()
    hook.before_val(runner)
    draw()  # the validation dataloader draws a base seed, for example
    ckpt = {}
    hook.before_save_checkpoint(runner, ckpt)  # save_best, during val
    hook.after_val(runner)
    after = draw()
    set_random_state(state)
    assert draw() == after
    set_random_state(ckpt['random_state']['states'][0])
    assert draw() == after


def test_no_restore_for_fresh_runs_and_old_checkpoints():
    hook = RandomStateHook()
    ckpt = {}
    hook.before_save_checkpoint(fake_runner(2), ckpt)
    # load_from (iteration 0): nothing restored, nothing wrapped
    hook.after_load_checkpoint(fake_runner(0), ckpt)
    loop = FakeLoop(3)
    plain = loop.dataloader_iterator
    hook.before_train_epoch(fake_runner(0, loop))
    assert loop.dataloader_iterator is plain
    # a checkpoint without states: a warning, training goes on
    hook = RandomStateHook()
    hook.after_load_checkpoint(fake_runner(2), {})
    runner = fake_runner(2, loop)
    hook.before_train_epoch(runner)
    assert loop.dataloader_iterator is plain
    assert any('not an exact continuation' in m for m in runner.logs)
    # a checkpoint of another number of processes: a warning, no restore
    hook = RandomStateHook()
    ckpt['random_state']['world_size'] = 2
    runner = fake_runner(2, loop)
    hook.after_load_checkpoint(runner, ckpt)
    assert any('holds the generators of 1 of 2 processes' in m
               for m in runner.logs)
    hook.before_train_epoch(runner)
    assert loop.dataloader_iterator is plain


def test_states_of_all_ranks_are_gathered_before_a_save(monkeypatch):
    """save_checkpoint runs on rank 0 only: the hook gathers every rank's
    states on all ranks in after_train_iter, when CheckpointHook will save
    in that iteration, and nowhere else (a collective must be matched)."""
    from mmengine.hooks import CheckpointHook

    from mmssmd.engine.hooks import random_state_hook as rsh
    calls = []

    def fake_gather(state):
        calls.append(state)
        return [state, 'rank1-state']

    monkeypatch.setattr(rsh, 'get_dist_info', lambda: (0, 2))
    monkeypatch.setattr(rsh, 'all_gather_object', fake_gather)
    hook = RandomStateHook()
    ckpt_hook = CheckpointHook(interval=3, by_epoch=False, save_last=True)
    for it in range(8):
        runner = fake_runner(it)
        runner.hooks = [hook, ckpt_hook]
        runner.max_iters = 8
        hook.after_train_iter(runner, it)
        if calls and len(calls) != len(getattr(hook, 'seen', [])):
            hook.seen = list(calls)
            ckpt = {}
            hook.before_save_checkpoint(runner, ckpt)
            assert ckpt['random_state'] == dict(
                world_size=2, states=[calls[-1], 'rank1-state'])
            hook.saved_at = getattr(hook, 'saved_at', []) + [it + 1]
    # iterations 3 and 6 (interval) and 8 (save_last)
    assert hook.saved_at == [3, 6, 8]
