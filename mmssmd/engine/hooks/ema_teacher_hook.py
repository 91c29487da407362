from typing import Iterable, List, Optional, Tuple

import torch
import torch.nn as nn
from mmdet.engine.hooks import MeanTeacherHook
from mmdet.registry import HOOKS
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from torch import Tensor


def paired_tensors(teacher: Iterable[Tuple[str, Tensor]],
                   student: Iterable[Tuple[str, Tensor]],
                   student_only: Tuple[str, ...],
                   what: str) -> Tuple[List[Tensor], List[Tensor]]:
    """Teacher and student tensors paired by name.

    Args:
        teacher (Iterable[tuple[str, Tensor]]): The teacher's named
            parameters or buffers.
        student (Iterable[tuple[str, Tensor]]): The student's.
        student_only (tuple[str]): Prefixes of student names that the
            teacher does not have by design; they are left out.
        what (str): ``'parameters'`` or ``'buffers'``, for the error.

    Returns:
        tuple[list[Tensor], list[Tensor]]: The teacher's tensors and the
        student's, in the teacher's order.

    Raises:
        KeyError: When the names differ otherwise.
    """
    dst = dict(teacher)
    src = {n: t for n, t in student if not n.startswith(student_only)}
    if dst.keys() != src.keys():
        raise KeyError(f'student and teacher {what} differ: '
                       f'{sorted(set(dst) ^ set(src))}')
    return list(dst.values()), [src[name] for name in dst]


def _ema_(dst: List[Tensor], src: List[Tensor], momentum: float) -> None:
    """``dst = lerp(dst, src, momentum)`` in place, fused; a copy at 1."""
    if not dst:
        return
    if momentum == 1:
        torch._foreach_copy_(dst, src)
    else:
        torch._foreach_lerp_(dst, src, momentum)


@HOOKS.register_module()
class EMATeacherHook(MeanTeacherHook):
    """The teacher as an exponential moving average of the student (Eq. 2).

    ``theta_t <- alpha * theta_t + (1 - alpha) * theta_s`` after every
    ``interval`` training iterations. Compared with mmdet's
    :class:`MeanTeacherHook`, which it extends:

    * it takes the paper's ``alpha`` (``momentum = 1 - alpha``);
    * ``init`` chooses between the paper's independent initialisation
      (``'independent'``: the two networks start from their own
      initialisation, e.g. their own random heads) and copying the student
      into the teacher before the first iteration (``'copy'``, what
      ``MeanTeacherHook`` always does). A resumed run (``runner.iter > 0``)
      never copies: the teacher comes from the checkpoint;
    * ``burn_in_iters`` (a warm start, like Unbiased Teacher's
      burn-in): for the first ``burn_in_iters`` iterations the teacher is a
      copy of the student after every step, and the EMA starts from the
      student as it is then, so the teacher never holds a random
      initialisation once the consistency weight ramps up;
    * ``buffers`` says what happens to buffers (BN running statistics):
      ``'ema'`` averages floating-point buffers like parameters and copies
      integer ones (``num_batches_tracked``), ``'copy'`` copies them all,
      ``'skip'`` leaves the teacher's buffers alone;
    * parameters and buffers are paired by name, and a mismatch is an error
      rather than a silent mis-pairing; the student's names under the
      model's ``student_only_prefixes`` (SSMD's perturbation modules, absent
      from its teacher) are skipped explicitly;
    * the update is fused over all tensors (``torch._foreach_*``).

    Args:
        alpha (float): EMA factor in [0, 1). Defaults to 0.99.
        interval (int): Update every ``interval`` iterations. Defaults to 1.
        init (str): ``'independent'`` or ``'copy'``.
            Defaults to ``'independent'``.
        buffers (str): ``'ema'``, ``'copy'`` or ``'skip'``.
            Defaults to ``'ema'``.
        burn_in_iters (int): Iterations during which the teacher copies the
            student. Defaults to 0.
    """

    def __init__(self,
                 alpha: float = 0.99,
                 interval: int = 1,
                 init: str = 'independent',
                 buffers: str = 'ema',
                 burn_in_iters: int = 0) -> None:
        if not 0 <= alpha < 1:
            raise ValueError(f'alpha must be in [0, 1), got {alpha}')
        if init not in ('independent', 'copy'):
            raise ValueError(f"init must be 'independent' or 'copy', "
                             f'got {init!r}')
        if buffers not in ('ema', 'copy', 'skip'):
            raise ValueError(f"buffers must be 'ema', 'copy' or 'skip', "
                             f'got {buffers!r}')
        if burn_in_iters < 0:
            raise ValueError(f'burn_in_iters must be >= 0, got '
                             f'{burn_in_iters}')
        self.burn_in_iters = int(burn_in_iters)
        # MeanTeacherHook asserts 0 < momentum < 1; alpha = 0 (teacher =
        # student) is legal here, so set the attributes ourselves.
        self.alpha = alpha
        self.momentum = 1 - alpha
        self.interval = interval
        self.init = init
        self.buffers = buffers
        self.skip_buffers = buffers == 'skip'

    def before_train(self, runner: Runner) -> None:
        """Check the model, and copy the student at the start if asked."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not (hasattr(model, 'teacher') and hasattr(model, 'student')):
            raise AttributeError(
                'EMATeacherHook needs a model with teacher and student')
        if self.init == 'copy' and runner.iter == 0:
            self.momentum_update(model, 1.0)

    @torch.no_grad()
    def momentum_update(self, model: nn.Module, momentum: float) -> None:
        """``teacher = (1 - momentum) * teacher + momentum * student``.

        Fused multi-tensor updates (``torch._foreach_lerp_``, and
        ``torch._foreach_copy_`` for copies, ``momentum == 1`` and integer
        buffers). The student's parameters and buffers under the model's
        ``student_only_prefixes`` (SSMD: the backbone's perturbation
        modules, which the teacher does not have) are left out; every other
        name must exist on both sides.

        Args:
            model (nn.Module): The semi-supervised detector.
            momentum (float): ``1 - alpha``; 1 copies the student.
        """
        skip = tuple(getattr(model, 'student_only_prefixes', ()))
        dst, src = paired_tensors(model.teacher.named_parameters(),
                                  model.student.named_parameters(), skip,
                                  'parameters')
        _ema_(dst, src, momentum)
        if self.buffers == 'skip':
            return
        dst, src = paired_tensors(model.teacher.named_buffers(),
                                  model.student.named_buffers(), skip,
                                  'buffers')
        averaged = [self.buffers == 'ema' and t.dtype.is_floating_point
                    for t in dst]
        _ema_([t for t, a in zip(dst, averaged) if a],
              [t for t, a in zip(src, averaged) if a], momentum)
        _ema_([t for t, a in zip(dst, averaged) if not a],
              [t for t, a in zip(src, averaged) if not a], 1.0)

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """During the burn-in copy the student into the teacher after every
        iteration; afterwards :class:`MeanTeacherHook`'s EMA update every
        ``interval`` iterations."""
        if runner.iter < self.burn_in_iters:
            model = runner.model.module if is_model_wrapper(
                runner.model) else runner.model
            self.momentum_update(model, 1.0)
            return
        super().after_train_iter(runner, batch_idx, data_batch, outputs)
