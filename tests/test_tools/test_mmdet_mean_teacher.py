"""The MMDetection baseline: mmdet's SemiBaseDetector + MeanTeacherHook.

The model is mmdet's own; these tests check that our configs wire it as
intended (pseudo-label threshold 0.9, RetinaNet losses on the student's
strong view, no NaN when the teacher finds nothing) and that the demo config
trains through tools/train.py.
"""
import math
from pathlib import Path

import numpy as np
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from conftest import demo_data_options, train_in_process

REPO = Path(__file__).resolve().parents[2]
DEMO = 'configs/demo/mmdet_mean_teacher_r18_synth_2.5pct.py'


def sample(size, boxes=None):
    s = DetDataSample(metainfo=dict(
        img_shape=(size, size), pad_shape=(size, size),
        ori_shape=(size, size), scale_factor=(1., 1.),
        homography_matrix=np.eye(3, dtype=np.float32)))
    s.gt_instances = InstanceData(
        bboxes=torch.tensor(boxes or [], dtype=torch.float32).view(-1, 4),
        labels=torch.zeros(len(boxes or []), dtype=torch.long))
    return s


def losses_with_teacher_score(model, score):
    """Losses of one step, every teacher anchor of shape 0 at ``score``."""
    head = model.teacher.bbox_head
    torch.nn.init.zeros_(head.retina_cls.weight)
    bias = torch.full_like(head.retina_cls.bias, -10.)
    bias[0] = math.log(score / (1 - score))
    head.retina_cls.bias.data.copy_(bias)
    torch.manual_seed(0)
    size = 64
    inputs = {k: torch.rand(2, 3, size, size)
              for k in ('sup', 'unsup_teacher', 'unsup_student')}
    samples = {'sup': [sample(size, [[8., 8., 30., 28.]])] * 2,
               'unsup_teacher': [sample(size) for _ in range(2)],
               'unsup_student': [sample(size) for _ in range(2)]}
    return model.loss(inputs, samples)


def value(loss):
    """A loss entry as one number (RetinaNet returns one per level)."""
    return sum(loss) if isinstance(loss, (list, tuple)) else loss


def test_config_wires_mmdet_semi_base_detector():
    cfg = Config.fromfile(str(REPO / DEMO))
    assert cfg.model.type == 'SemiBaseDetector'
    assert cfg.model.semi_train_cfg.cls_pseudo_thr == 0.9
    assert [h.type for h in cfg.custom_hooks] == ['MeanTeacherHook']
    assert cfg.val_cfg.type == 'TeacherStudentValLoop'
    full = Config.fromfile(
        str(REPO / 'configs/mmdet_mean_teacher/mean_teacher_r50_dsb_10pct.py'))
    assert full.model.detector.bbox_head.num_classes == 1
    assert full.custom_hooks[0].momentum == 0.01  # alpha 0.99, as SSMD
    assert full.train_dataloader.batch_size == 16
    labeled, unlabeled = full.train_dataloader.dataset.datasets
    branches = unlabeled.pipeline[-1]
    assert branches.type == 'MultiBranch'
    assert set(branches.branch_field) == {'sup', 'unsup_teacher',
                                         'unsup_student'}
    strong = [t.type for t in branches.unsup_student]
    assert 'Rotate' in strong and 'RandomErasing' in strong
    assert 'Rotate' not in [t.type for t in branches.unsup_teacher]


def test_pseudo_labels_at_0_9():
    cfg = Config.fromfile(str(REPO / DEMO))
    model = MODELS.build(cfg.model)
    model.train()
    # teacher scores 0.95 >= 0.9: pseudo-boxes, a real unsupervised loss
    losses = losses_with_teacher_score(model, 0.95)
    assert value(losses['unsup_loss_cls']) > 0
    assert value(losses['unsup_loss_bbox']) > 0
    total, _ = model.parse_losses(losses)
    total.backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.student.backbone.conv1.weight.grad.abs().sum() > 0
    # teacher scores 0.85 < 0.9: no pseudo-box, the unsupervised loss is
    # weighted 0 (mmdet) and stays finite
    model.zero_grad()
    losses = losses_with_teacher_score(model, 0.85)
    assert value(losses['unsup_loss_cls']).item() == 0
    assert value(losses['unsup_loss_bbox']).item() == 0
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    assert all(torch.isfinite(p.grad).all()
               for p in model.student.parameters() if p.grad is not None)


def test_demo_trains_through_the_runner(synthetic_dsb, tmp_path):
    out = train_in_process(DEMO, tmp_path / 'work', [
        *demo_data_options(synthetic_dsb, semi=True),
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2'
    ])
    for key in ('sup_loss_cls', 'unsup_loss_cls', 'teacher/coco/bbox_mAP',
                'student/coco/bbox_mAP'):
        assert key in out, key
    assert 'Iter(train) [2/2]' in out
    assert (tmp_path / 'work' / 'iter_2.pth').exists()
