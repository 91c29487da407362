import torch

from mmssmd.models.utils import batch_cutout


def test_one_interior_hole_has_the_given_side():
    x = torch.ones(3, 2, 64, 64)
    g = torch.Generator().manual_seed(0)
    # hole of side 10 centred anywhere: count zeros of an interior hole
    out = batch_cutout(x, num_holes=1, hole_size=10, generator=g)
    for img in out:
        zeros = (img[0] == 0)
        rows = zeros.any(1).nonzero().flatten()
        cols = zeros.any(0).nonzero().flatten()
        assert rows.numel() <= 10 and cols.numel() <= 10
        assert zeros.sum() == rows.numel() * cols.numel()  # a rectangle
        assert torch.equal(img[0] == 0, img[1] == 0)  # all channels
    assert torch.equal(x, torch.ones(3, 2, 64, 64))  # input untouched


def test_independent_draws_and_disable():
    x = torch.ones(2, 1, 64, 64)
    a = batch_cutout(x, 5, 8)
    b = batch_cutout(x, 5, 8)
    assert not torch.equal(a, b)
    assert not torch.equal(a[0], a[1])
    assert batch_cutout(x, 0, 70) is x
