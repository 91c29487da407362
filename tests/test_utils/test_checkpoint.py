"""Runner checkpoints load under torch >= 2.6 (weights_only=True default)."""
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
from mmengine.dataset import pseudo_collate
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmssmd  # noqa: F401


class TinyRegressor(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.bn = nn.BatchNorm1d(1)

    def forward(self, inputs, targets=None, mode='tensor'):
        inputs = torch.stack(inputs)
        out = self.bn(self.linear(inputs))
        if mode == 'loss':
            return dict(loss=((out.squeeze(1) - torch.stack(targets))**2)
                        .mean())
        return out


class LineDataset(Dataset):
    metainfo = dict(classes=('x', ))

    def __len__(self):
        return 16

    def __getitem__(self, i):
        x = torch.tensor([i / 16, 1 - i / 16])
        return dict(inputs=x, targets=x.sum())


def make_runner(work_dir, max_epochs, **kwargs):
    return Runner(
        model=TinyRegressor(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=LineDataset(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=pseudo_collate,
            batch_size=4,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=0.01)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1], by_epoch=True),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        randomness=dict(seed=0),
        experiment_name=f'ckpt_{work_dir.name}_{max_epochs}',
        **kwargs)


@pytest.fixture(scope='module')
def runner_checkpoint(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('first')
    runner = make_runner(work_dir, max_epochs=2)
    runner.train()
    return work_dir / 'epoch_2.pth', runner


@pytest.mark.skipif(
    not hasattr(torch.serialization, 'add_safe_globals'),
    reason='torch < 2.4 has no weights_only allow-list')
@pytest.mark.slow
def test_plain_torch_load_fails_and_mmssmd_fixes_it(runner_checkpoint):
    ckpt, _ = runner_checkpoint
    plain = subprocess.run(
        [sys.executable, '-c', f'import torch; torch.load({str(ckpt)!r})'],
        capture_output=True, text=True)
    assert plain.returncode != 0
    assert 'weights_only' in plain.stderr
    fixed = subprocess.run(
        [sys.executable, '-c', 'import mmssmd, torch; '
         f'c = torch.load({str(ckpt)!r}); print(sorted(c))'],
        capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stderr
    assert "'message_hub'" in fixed.stdout and "'optimizer'" in fixed.stdout


def test_still_refuses_arbitrary_objects(tmp_path):
    """The fix allow-lists types; it does not disable the safety check."""
    path = tmp_path / 'evil.pth'
    torch.save({'obj': subprocess.Popen}, path)
    with pytest.raises(Exception, match='weights_only|Unsupported global'):
        torch.load(path)


def test_load_from_restores_weights(runner_checkpoint, tmp_path):
    ckpt, trained = runner_checkpoint
    runner = make_runner(tmp_path, max_epochs=2, load_from=str(ckpt))
    runner.load_or_resume()
    for name, value in trained.model.state_dict().items():
        torch.testing.assert_close(runner.model.state_dict()[name], value)


def test_resume_continues_from_checkpoint(runner_checkpoint, tmp_path):
    ckpt, trained = runner_checkpoint
    runner = make_runner(
        tmp_path, max_epochs=3, load_from=str(ckpt), resume=True)
    runner.train()
    assert runner.epoch == 3
    assert runner.iter == 3 * 4
    # the optimizer state and the lr schedule position came back too
    assert runner.optim_wrapper.get_lr()['lr'][0] == pytest.approx(0.001)


def test_getattr_is_limited_to_history_buffer_methods(tmp_path):
    """A pickled getattr on anything but HistoryBuffer's methods fails."""
    import pickle

    class Evil:

        def __reduce__(self):
            return getattr, (torch.Tensor, 'add_')

    path = tmp_path / 'getattr.pth'
    torch.save({'x': Evil()}, path)
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        torch.load(path)
