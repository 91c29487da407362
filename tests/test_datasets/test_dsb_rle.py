"""mmssmd.utils.dsb_rle: the DSB 2018 run-length format, both ways."""
import numpy as np
import pytest

from mmssmd.utils.dsb_rle import rle_decode, rle_encode


@pytest.mark.parametrize('shape', [(1, 1), (5, 7), (32, 16), (3, 40)])
def test_round_trip(shape):
    rng = np.random.default_rng(sum(shape))
    for density in (0.0, 0.1, 0.5, 1.0):
        mask = rng.random(shape) < density
        assert np.array_equal(rle_decode(rle_encode(mask), *shape), mask)


def test_hand_worked_encoding():
    # 2 rows x 3 columns, pixels numbered down the columns from 1:
    # [[1 3 5]
    #  [2 4 6]]; foreground 1, 3, 4 and 6: runs "1 1", "3 2", "6 1"
    m = np.array([[1, 1, 0], [0, 1, 1]], dtype=np.uint8) * 255
    assert rle_encode(m) == '1 1 3 2 6 1'
    assert np.array_equal(rle_decode('1 1 3 2 6 1', 2, 3), m > 0)
    assert rle_encode(np.zeros((4, 4), bool)) == ''
    assert not rle_decode('', 3, 2).any()


@pytest.mark.parametrize('encoded,expect', [
    ('1 2 3', 'odd number of tokens'),
    ('1 x', 'non-integer'),
    ('0 2', 'start >= 1'),
    ('1 0', 'length >= 1'),
    ('4 2 1 1', 'out of order'),
    ('1 3 3 1', 'overlaps'),
    ('5 3', 'runs past the end of the 3x2 image'),
])
def test_malformed_input_names_the_source(encoded, expect):
    with pytest.raises(ValueError, match=expect) as exc:
        rle_decode(encoded, 3, 2, where='labels.csv line 7')
    assert str(exc.value).startswith('labels.csv line 7: malformed')
