"""Save the random number generators in checkpoints, for an exact resume.

mmengine's checkpoints hold the model, optimizer, schedulers and message hub,
and :class:`IterBasedTrainLoop` replays the dataloader up to the resumed
iteration (so an infinite, seeded sampler such as ``MultiSourceSampler``
and the dataloader workers continue exactly). They do not hold the random
state of the training process itself: after a resume, Python's ``random``,
numpy's global generator and torch's CPU (and CUDA) generator are those of a
freshly seeded process. SSMD draws from torch's generator at every step
(cutout holes, noisy residual blocks, dropout), and pipelines run in the main
process (``num_workers=0``) draw from numpy's, so a resumed run would diverge
from an uninterrupted one from its first step on.

This hook closes the gap; mmengine has no equivalent:

* ``before_save_checkpoint``: stores the generator states under
  ``checkpoint['random_state']``; with several processes, those of every
  rank, gathered right before a ``CheckpointHook`` saves (only rank 0
  writes the file and runs ``before_save_checkpoint``);
* on resume, it restores them at the moment the uninterrupted run would
  have been in that state: right before the first batch after the resume
  point is fetched (after the loop has replayed the batches already
  trained), or at the start of the first epoch for epoch-based loops;
* validation runs with the generators saved before it and restored after
  it, so a validation (which creates a dataloader iterator, drawing from
  torch's generator) does not shift the training stream; training is then
  also independent of ``val_interval``, and a checkpoint saved during
  validation (``save_best``) stores the training stream's state.

Limits (documented in ``docs/reliability.md``): resuming with a different
number of processes, or from a checkpoint without ``random_state``, logs a
warning and continues with freshly seeded generators. The generators inside
dataloader workers are not in the checkpoint; with an iteration-based loop
they are reproduced by the loop's replay of the consumed batches, with an
epoch-based loop and ``persistent_workers=True`` they are not.
"""
import random
from typing import Any, Dict, Iterator, List, Optional

import numpy as np
import torch
from mmdet.registry import HOOKS
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import CheckpointHook, Hook
from mmengine.runner import Runner

RandomState = Dict[str, Any]
CHECKPOINT_KEY = 'random_state'


def get_random_state() -> RandomState:
    """The states of Python's, numpy's and torch's global generators.

    Returns:
        dict: ``python``, ``numpy`` (numpy's dict form), ``torch`` (a uint8
        tensor) and, when CUDA is initialised, ``cuda``.
    """
    state = {
        'python': random.getstate(),
        'numpy': np.random.get_state(legacy=False),
        'torch': torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state()
    return state


def set_random_state(state: RandomState) -> None:
    """Restore a state returned by :func:`get_random_state`.

    Args:
        state (dict): The saved generator states.
    """
    py = state['python']
    # a checkpoint round trip may turn the inner tuple into a list
    random.setstate((py[0], tuple(py[1]), py[2]))
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state['cuda'].cpu())


class _RestoreBeforeFirstFetch:
    """Wraps a train loop's dataloader iterator: after ``skip`` batches (the
    loop's replay of the trained ones) it restores the generators, then
    puts the original iterator back."""

    def __init__(self, loop: Any, skip: int, state: RandomState) -> None:
        self.loop = loop
        self.iterator = loop.dataloader_iterator
        self.skip = skip
        self.state = state

    def __iter__(self) -> Iterator:
        return self

    def __next__(self) -> Any:
        if self.skip > 0:
            self.skip -= 1
            return next(self.iterator)
        set_random_state(self.state)
        self.loop.dataloader_iterator = self.iterator
        return next(self.iterator)


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Store the generator states in checkpoints and restore them on resume.

    See the module docstring for what is stored and when it is restored.
    Add it to ``default_hooks`` (``configs/_base_/default_runtime.py`` does).

    Args:
        fork_validation (bool): Run validation with the generators saved
            before it and put them back after it, so that validation does
            not change the training stream. Defaults to True.
    """

    # before_val must run before, and after_val after, hooks that draw
    # random numbers; no mmengine/mmdet default hook does in these stages.
    priority = 'VERY_HIGH'

    def __init__(self, fork_validation: bool = True) -> None:
        self.fork_validation = fork_validation
        self._loaded: Optional[List[RandomState]] = None
        self._val_state: Optional[RandomState] = None
        self._first_epoch = True
        self._warned = False
        self._gathered: Optional[List[RandomState]] = None
        self._gathered_at = None

    # -- saving -----------------------------------------------------------
    @staticmethod
    def _checkpoint_due(runner: Runner, after_epoch: bool) -> bool:
        """Whether a ``CheckpointHook`` saves at the end of this iteration
        (``after_epoch=False``) or epoch, by its own conditions."""
        for hook in runner.hooks:
            if not isinstance(hook, CheckpointHook):
                continue
            if after_epoch and hook.by_epoch and (
                    hook.every_n_epochs(runner, hook.interval,
                                        hook.save_begin)
                    or (hook.save_last and hook.is_last_train_epoch(runner))):
                return True
            if not after_epoch and not hook.by_epoch and (
                    hook.every_n_train_iters(runner, hook.interval,
                                             hook.save_begin)
                    or (hook.save_last and hook.is_last_train_iter(runner))):
                return True
        return False

    def _gather_if_due(self, runner: Runner, after_epoch: bool) -> None:
        # Runner.save_checkpoint (and so before_save_checkpoint) runs on
        # rank 0 only: gather the other ranks' states beforehand, on every
        # rank, when a CheckpointHook is about to save. This hook's priority
        # puts it before CheckpointHook, and nothing draws in between.
        _, world_size = get_dist_info()
        if world_size > 1 and self._checkpoint_due(runner, after_epoch):
            self._gathered = all_gather_object(get_random_state())
            self._gathered_at = (runner.epoch, runner.iter)

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Any = None,
                         outputs: Optional[dict] = None) -> None:
        self._gather_if_due(runner, after_epoch=False)

    def after_train_epoch(self, runner: Runner) -> None:
        self._gather_if_due(runner, after_epoch=True)

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        """Add the generator states (of every rank, when gathered) to
        ``checkpoint``."""
        _, world_size = get_dist_info()
        gathered, self._gathered = self._gathered, None
        if gathered is not None and self._gathered_at == (runner.epoch,
                                                          runner.iter):
            states = gathered
        else:
            # one process; or, with several, a checkpoint saved outside
            # the train loop's schedule (save_best), of which only rank 0's
            # states are known. Inside validation the training stream is
            # the one saved before it.
            states = [self._val_state or get_random_state()]
        checkpoint[CHECKPOINT_KEY] = dict(
            world_size=world_size, states=states)

    # -- resuming ---------------------------------------------------------
    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        """Keep the states of a checkpoint; used only if training resumes."""
        saved = checkpoint.get(CHECKPOINT_KEY)
        if saved is None:
            self._loaded = None
            return
        rank, world_size = get_dist_info()
        if saved['world_size'] != world_size or len(
                saved['states']) != world_size:
            runner.logger.warning(
                f'{CHECKPOINT_KEY}: the checkpoint holds the generators of '
                f"{len(saved['states'])} of {saved['world_size']} processes, "
                f'this run has {world_size}; the random generators are not '
                'restored, so the resumed run is not an exact continuation')
            self._loaded = None
            self._warned = True
            return
        self._loaded = saved['states']

    def before_train_epoch(self, runner: Runner) -> None:
        """On resume, arrange the restore right before the next batch."""
        if not self._first_epoch:
            return
        self._first_epoch = False
        if runner.iter == 0:  # a fresh run, or load_from (not a resume)
            self._loaded = None
            return
        if self._loaded is None:
            if runner._resume and not self._warned:  # no states saved
                runner.logger.warning(
                    f'the resumed checkpoint has no {CHECKPOINT_KEY} '
                    '(written without RandomStateHook): the random '
                    'generators restart from the seed, so the resumed run '
                    'is not an exact continuation')
            return
        rank, _ = get_dist_info()
        state = self._loaded[rank]
        self._loaded = None
        loop = runner.train_loop
        if hasattr(loop, 'dataloader_iterator'):
            # IterBasedTrainLoop replays `runner.iter` batches after this
            # hook, then fetches the first new one
            loop.dataloader_iterator = _RestoreBeforeFirstFetch(
                loop, runner.iter, state)
        else:
            # EpochBasedTrainLoop resumes at an epoch start: the iterator of
            # this epoch is created after this hook
            set_random_state(state)
        runner.logger.info(
            'the random generators of the checkpoint (iter '
            f'{runner.iter}) are restored before the first new batch')

    # -- validation -------------------------------------------------------
    def before_val(self, runner: Runner) -> None:
        if self.fork_validation:
            self._val_state = get_random_state()

    def after_val(self, runner: Runner) -> None:
        if self._val_state is not None:
            set_random_state(self._val_state)
            self._val_state = None
