"""CompatSSDHead: mmdet's SSDHead that predicts under mmdet 3.3."""
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import ConfigDict

import mmssmd  # noqa: F401
from fixtures.tiny_models import det_sample, tiny_ssd


def build(head_type):
    cfg = tiny_ssd()
    cfg['bbox_head']['type'] = head_type
    model = MODELS.build(ConfigDict(cfg))
    model.init_weights()
    return model.eval()


def test_predicts_where_mmdet_ssd_head_fails():
    x = torch.rand(1, 3, 64, 64)
    plain = build('SSDHead')
    with pytest.raises(AttributeError, match='loss_cls'):
        plain.predict(x, [det_sample(64)])
    compat = build('CompatSSDHead')
    compat.load_state_dict(plain.state_dict())  # same keys and shapes
    results = compat.predict(x, [det_sample(64)])
    assert results[0].pred_instances.bboxes.shape[1] == 4
    # the same head: identical outputs
    feats = plain.extract_feat(x)
    for a, b in zip(plain.bbox_head(feats)[0], compat.bbox_head(feats)[0]):
        torch.testing.assert_close(a, b)
