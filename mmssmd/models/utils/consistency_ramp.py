import math


def ssmd_consistency_weight(iteration: int, max_iters: int) -> float:
    """The consistency weight lambda of Eq. 10 at an iteration.

    ``exp(-5 (1 - 4j/N)^2)`` for ``j < N/4``, 1 for ``N/4 <= j < 3N/4``, and
    ``exp(-12.5 (1 - 4(N - j)/N)^2)`` for ``3N/4 <= j <= N``.

    The extracted text of the paper reads ``7 (N - j) / N`` in the ramp-down,
    which jumps from 1 to about 0.0009 at ``j = 3N/4``. That is an extraction
    error: CSD's ramp-down, which the paper follows, has ``(N - j) / (N/4)``,
    i.e. ``4 (N - j) / N``, and is continuous. We use 4.

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
