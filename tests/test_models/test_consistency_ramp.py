import math

import pytest
from mmengine.logging import MessageHub

from mmssmd.models.utils import (check_consistency_schedule,
                                 consistency_weight, gaussian_ramp_weight)


@pytest.mark.parametrize('n', [400, 1000])
def test_eq10_at_quarters(n):
    assert gaussian_ramp_weight(0, n) == pytest.approx(math.exp(-5))
    assert gaussian_ramp_weight(n // 4, n) == 1
    assert gaussian_ramp_weight(n // 2, n) == 1
    assert gaussian_ramp_weight(3 * n // 4, n) == pytest.approx(1)
    assert gaussian_ramp_weight(n, n) == pytest.approx(math.exp(-12.5))


def test_ramp_is_continuous_and_monotone_on_each_side():
    n = 1000
    values = [gaussian_ramp_weight(j, n) for j in range(n + 1)]
    assert max(abs(a - b) for a, b in zip(values, values[1:])) < 0.03
    assert values[:250] == sorted(values[:250])
    assert values[750:] == sorted(values[750:], reverse=True)
    # the extracted text's constant 7 would jump to ~0.0009 at 3N/4
    assert values[751] > 0.99


def test_rejects_empty_schedule():
    with pytest.raises(ValueError):
        gaussian_ramp_weight(0, 0)


def test_consistency_weight_schedules():
    n = 400
    assert consistency_weight('constant', 0.5, 0, n) == 0.5
    assert consistency_weight('gaussian_ramp', 2.0, 0, n) == pytest.approx(
        2 * math.exp(-5))
    assert consistency_weight('gaussian_ramp', 2.0, n // 2, n) == 2.0
    # iteration and max_iters from the message hub; none: the ramp is 1
    hub = MessageHub.get_instance('test_consistency_weight')
    hub.update_info('max_iters', n)
    hub.update_info('iter', n)
    assert consistency_weight('gaussian_ramp', 1.0) == pytest.approx(
        math.exp(-12.5))
    hub.update_info('max_iters', 0)
    assert consistency_weight('gaussian_ramp', 3.0) == 3.0


def test_old_schedule_name_points_to_the_new_one():
    with pytest.raises(ValueError, match="use 'gaussian_ramp'"):
        check_consistency_schedule('ssmd')
    with pytest.raises(ValueError, match='consistency_schedule'):
        consistency_weight('linear', 1.0, 0, 10)
    assert check_consistency_schedule('gaussian_ramp') == 'gaussian_ramp'
