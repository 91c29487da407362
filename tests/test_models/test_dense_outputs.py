"""Dense head outputs as anchor rows: mmdet's prior order."""
import torch

from mmssmd.models.utils import flatten_levels, images_to_anchor_major


def outputs(num_anchors=2, channels=3):
    g = torch.Generator().manual_seed(0)
    return [
        torch.randn(2, num_anchors * channels, h, w, generator=g)
        for h, w in ((4, 5), (2, 3))
    ]


def test_images_to_anchor_major_is_level_row_column_anchor():
    levels = outputs()
    out = images_to_anchor_major(levels, 3)
    assert out.shape == (2, (20 + 6) * 2, 3)
    n = 0
    for lvl in levels:
        _, _, h, w = lvl.shape
        for y in range(h):
            for x in range(w):
                for a in range(2):
                    for b in range(2):
                        assert torch.equal(out[b, n], lvl[b, a * 3:(a + 1) * 3,
                                                          y, x])
                    n += 1
    assert n == out.shape[1]


def test_images_to_anchor_major_accepts_expanded_views():
    mask = torch.tensor([1., 0., 1.]).view(1, 1, 1, -1).expand(2, 2, 4, -1)
    out = images_to_anchor_major([mask], 1)
    assert torch.equal(out, mask.permute(0, 2, 3, 1).reshape(2, -1, 1))


def test_flatten_levels_is_image_major_per_level():
    cls = outputs(channels=3)
    box = outputs(channels=4)
    flat_cls, flat_box = flatten_levels(cls, box, 3)
    for lvl in range(2):
        per_image = images_to_anchor_major([cls[lvl]], 3)
        assert torch.equal(flat_cls[lvl], per_image.reshape(-1, 3))
        assert torch.equal(
            flat_box[lvl],
            images_to_anchor_major([box[lvl]], 4).reshape(-1, 4))
