import math

from mmengine.logging import MessageHub

CONSISTENCY_SCHEDULES = ('gaussian_ramp', 'constant')


def gaussian_ramp_weight(iteration: int, max_iters: int) -> float:
    """The Gaussian ramp-up / flat / ramp-down of SSMD's Eq. 10 (and CSD).

    ``exp(-5 (1 - 4j/N)^2)`` for ``j < N/4``, 1 for ``N/4 <= j < 3N/4``, and
    ``exp(-12.5 (1 - 4(N - j)/N)^2)`` for ``3N/4 <= j <= N``. See
    docs/methods.md#consistency-weight-schedule for the ramp-down erratum.

    Args:
        iteration (int): The iteration index ``j`` (0-based).
        max_iters (int): The number of training iterations ``N``.

    Returns:
        float: lambda in (0, 1].
    """
    if max_iters <= 0:
        raise ValueError(f'max_iters must be positive, got {max_iters}')
    j, n = min(max(iteration, 0), max_iters), max_iters
    if j < n / 4:
        return math.exp(-5 * (1 - 4 * j / n)**2)
    if j < 3 * n / 4:
        return 1.0
    return math.exp(-12.5 * (1 - 4 * (n - j) / n)**2)


def check_consistency_schedule(schedule: str) -> str:
    """Validate a ``semi_train_cfg.consistency_schedule`` value.

    Args:
        schedule (str): ``'gaussian_ramp'`` or ``'constant'``.

    Returns:
        str: ``schedule``.

    Raises:
        ValueError: For any other value; the old name ``'ssmd'`` is
            rejected with a pointer to ``'gaussian_ramp'``.
    """
    if schedule == 'ssmd':
        raise ValueError("consistency_schedule='ssmd' was renamed: use "
                         "'gaussian_ramp' (the same Eq. 10 ramp)")
    if schedule not in CONSISTENCY_SCHEDULES:
        raise ValueError(f'consistency_schedule must be one of '
                         f'{CONSISTENCY_SCHEDULES}, got {schedule!r}')
    return schedule


def consistency_weight(schedule: str,
                       weight: float,
                       iteration: int = None,
                       max_iters: int = None) -> float:
    """The consistency weight of a training step.

    ``weight`` for ``'constant'``; ``weight * gaussian_ramp_weight(
    iteration, max_iters)`` for ``'gaussian_ramp'``. ``iteration`` and
    ``max_iters`` default to the current message hub's ``iter`` and
    ``max_iters``; without a ``max_iters`` (outside a runner) the ramp is 1.

    Args:
        schedule (str): ``'gaussian_ramp'`` or ``'constant'``.
        weight (float): The multiplier of the schedule.
        iteration (int, optional): The iteration index.
        max_iters (int, optional): The number of training iterations.

    Returns:
        float: The weight.
    """
    check_consistency_schedule(schedule)
    if schedule == 'constant':
        return weight
    hub = MessageHub.get_current_instance()
    if max_iters is None:
        max_iters = hub.get_info('max_iters')
    if not max_iters:
        return weight
    if iteration is None:
        iteration = hub.get_info('iter', 0)
    return weight * gaussian_ramp_weight(iteration, max_iters)
