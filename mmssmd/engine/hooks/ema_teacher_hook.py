from typing import Optional

import torch
import torch.nn as nn
from mmdet.engine.hooks import MeanTeacherHook
from mmdet.registry import HOOKS
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner


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
      rather than a silent mis-pairing.

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

        Args:
            model (nn.Module): The semi-supervised detector.
            momentum (float): ``1 - alpha``; 1 copies the student.
        """
        student = dict(model.student.named_parameters())
        teacher = dict(model.teacher.named_parameters())
        if student.keys() != teacher.keys():
            raise KeyError('student and teacher parameters differ: '
                           f'{set(student) ^ set(teacher)}')
        dst = list(teacher.values())
        src = [student[name].detach() for name in teacher]
        torch._foreach_mul_(dst, 1 - momentum)
        torch._foreach_add_(dst, src, alpha=momentum)
        if self.buffers == 'skip':
            return
        student_buffers = dict(model.student.named_buffers())
        for name, dst in model.teacher.named_buffers():
            src = student_buffers[name]
            if self.buffers == 'ema' and dst.dtype.is_floating_point:
                dst.mul_(1 - momentum).add_(src, alpha=momentum)
            else:
                dst.copy_(src)

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
