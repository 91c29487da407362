"""EMATeacherHook: Eq. 2 numerically, initialisation, buffers, resume."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

from mmssmd.engine.hooks import EMATeacherHook


class Pair(nn.Module):

    def __init__(self):
        super().__init__()
        self.student = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
        self.teacher = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))


def runner(model, iteration=0):
    return SimpleNamespace(model=model, iter=iteration)


def snapshot(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def test_update_matches_eq2():
    model = Pair()
    hook = EMATeacherHook(alpha=0.9)
    t0, s0 = snapshot(model.teacher), snapshot(model.student)
    hook.after_train_iter(runner(model), 0)
    for name in ('0.weight', '0.bias', '1.weight', '1.bias'):
        torch.testing.assert_close(model.teacher.state_dict()[name],
                                   0.9 * t0[name] + 0.1 * s0[name])


def test_interval():
    model = Pair()
    hook = EMATeacherHook(alpha=0.5, interval=2)
    t0 = snapshot(model.teacher)
    hook.after_train_iter(runner(model, iteration=0), 0)  # iter 1: skipped
    torch.testing.assert_close(model.teacher.state_dict()['0.weight'],
                               t0['0.weight'])
    hook.after_train_iter(runner(model, iteration=1), 0)  # iter 2: update
    assert not torch.equal(model.teacher.state_dict()['0.weight'],
                           t0['0.weight'])


def test_independent_init_keeps_teacher_and_copy_init_copies():
    model = Pair()
    t0 = snapshot(model.teacher)
    EMATeacherHook(init='independent').before_train(runner(model))
    torch.testing.assert_close(snapshot(model.teacher)['0.weight'],
                               t0['0.weight'])
    EMATeacherHook(init='copy').before_train(runner(model))
    torch.testing.assert_close(model.teacher.state_dict()['0.weight'],
                               model.student.state_dict()['0.weight'])


def test_copy_init_does_not_overwrite_a_resumed_teacher():
    model = Pair()
    t0 = snapshot(model.teacher)
    EMATeacherHook(init='copy').before_train(runner(model, iteration=100))
    torch.testing.assert_close(snapshot(model.teacher)['0.weight'],
                               t0['0.weight'])


@pytest.mark.parametrize('mode', ['ema', 'copy', 'skip'])
def test_buffers(mode):
    model = Pair()
    model.student[1].running_mean.fill_(2.)
    model.student[1].num_batches_tracked.fill_(7)
    model.teacher[1].running_mean.fill_(0.)
    EMATeacherHook(alpha=0.75, buffers=mode).after_train_iter(
        runner(model), 0)
    mean = model.teacher[1].running_mean
    tracked = model.teacher[1].num_batches_tracked.item()
    if mode == 'ema':
        torch.testing.assert_close(mean, torch.full((2, ), 0.5))
        assert tracked == 7
    elif mode == 'copy':
        torch.testing.assert_close(mean, torch.full((2, ), 2.))
        assert tracked == 7
    else:
        torch.testing.assert_close(mean, torch.zeros(2))
        assert tracked == 0


def test_rejects_bad_options():
    for kwargs in (dict(alpha=1.0), dict(init='mean'), dict(buffers='x')):
        with pytest.raises(ValueError):
            EMATeacherHook(**kwargs)


def test_burn_in_copies_the_student_then_averages():
    model = Pair()
    hook = EMATeacherHook(alpha=0.9, init='independent', burn_in_iters=2)
    for it in range(2):  # burn-in: the teacher is the student after a step
        with torch.no_grad():
            model.student[0].weight.add_(1.0)
        hook.after_train_iter(runner(model, iteration=it), 0)
        torch.testing.assert_close(model.teacher.state_dict(),
                                   model.student.state_dict())
    t0, s0 = snapshot(model.teacher), snapshot(model.student)
    with torch.no_grad():
        model.student[0].weight.add_(1.0)
    hook.after_train_iter(runner(model, iteration=2), 0)  # EMA from now on
    torch.testing.assert_close(model.teacher.state_dict()['0.weight'],
                               0.9 * t0['0.weight'] +
                               0.1 * (s0['0.weight'] + 1.0))
    with pytest.raises(ValueError, match='burn_in_iters'):
        EMATeacherHook(burn_in_iters=-1)
