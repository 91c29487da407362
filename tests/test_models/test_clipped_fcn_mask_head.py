"""ClippedFCNMaskHead: masks of boxes that lie in the padding."""
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

import mmssmd  # noqa: F401

# a 100 x 80 image resized by 2 to 200 x 160 and padded to 256 x 256
META = dict(ori_shape=(100, 80), img_shape=(256, 256), scale_factor=(2., 2.))
TEST_CFG = ConfigDict(mask_thr_binary=0.5)


def predict(head_type, boxes):
    torch.manual_seed(0)
    head = MODELS.build(dict(type=head_type, num_convs=1, in_channels=4,
                             conv_out_channels=4, num_classes=1))
    results = InstanceData(bboxes=torch.tensor(boxes),
                           labels=torch.zeros(len(boxes), dtype=torch.long),
                           scores=torch.ones(len(boxes)))
    mask_preds = (torch.ones(len(boxes), 1, 28, 28) * 5, )  # all foreground
    return head.predict_by_feat(mask_preds, [results], [META], TEST_CFG,
                                rescale=True)[0]


def test_box_in_the_padding():
    boxes = [[20., 20., 100., 60.],  # inside the resized image (160 wide)
             [180., 30., 250., 90.]]  # wholly in the padding (x > 160)
    with pytest.raises(RuntimeError):
        predict('FCNMaskHead', [list(b) for b in boxes])
    out = predict('ClippedFCNMaskHead', [list(b) for b in boxes])
    assert out.masks.shape == (2, 100, 80)
    # the inside box: its mask covers its rescaled box (10..50 x 10..30 px)
    assert out.masks[0, 12:28, 12:48].all()
    assert not out.masks[0, :, 52:].any()
    # the padding box: clipped to the image's right edge (zero width), its
    # mask at most the edge column
    assert not out.masks[1, :, :79].any()
    torch.testing.assert_close(out.bboxes[1], torch.tensor([80., 15., 80.,
                                                            45.]))
    # the inside box is unchanged by the clip
    ref = predict('FCNMaskHead', [boxes[0]])
    assert torch.equal(ref.masks[0], out.masks[0])
    torch.testing.assert_close(ref.bboxes[0], out.bboxes[0])
