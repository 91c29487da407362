import math

import pytest

from mmssmd.models.utils import ssmd_consistency_weight


@pytest.mark.parametrize('n', [400, 1000])
def test_eq10_at_quarters(n):
    assert ssmd_consistency_weight(0, n) == pytest.approx(math.exp(-5))
    assert ssmd_consistency_weight(n // 4, n) == 1
    assert ssmd_consistency_weight(n // 2, n) == 1
    assert ssmd_consistency_weight(3 * n // 4, n) == pytest.approx(1)
    assert ssmd_consistency_weight(n, n) == pytest.approx(math.exp(-12.5))


def test_ramp_is_continuous_and_monotone_on_each_side():
    n = 1000
    values = [ssmd_consistency_weight(j, n) for j in range(n + 1)]
    assert max(abs(a - b) for a, b in zip(values, values[1:])) < 0.03
    assert values[:250] == sorted(values[:250])
    assert values[750:] == sorted(values[750:], reverse=True)
    # the extracted text's constant 7 would jump to ~0.0009 at 3N/4
    assert values[751] > 0.99


def test_rejects_empty_schedule():
    with pytest.raises(ValueError):
        ssmd_consistency_weight(0, 0)
