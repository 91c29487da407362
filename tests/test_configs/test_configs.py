"""Every shipped config loads, builds, and says what the paper says."""
from pathlib import Path

import pytest
from mmdet.registry import MODELS
from mmengine.config import Config

import mmssmd  # noqa: F401

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
LEAF_CONFIGS = sorted(
    p for p in CONFIG_ROOT.rglob('*.py') if '_base_' not in p.parts)


def test_configs_exist():
    names = {p.name for p in LEAF_CONFIGS}
    for depth in (50, 101):
        assert f'fully_supervised_r{depth}_dsb.py' in names
        for pct in (10, 20, 30, 40, 50):
            assert f'supervised_r{depth}_dsb_{pct}pct.py' in names


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=lambda p: p.stem)
def test_config_loads_and_builds(path):
    cfg = Config.fromfile(str(path))
    assert cfg.custom_imports == dict(
        imports=['mmssmd'], allow_failed_imports=False)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    assert model.bbox_head.num_classes == 1


@pytest.mark.parametrize('depth', [50, 101])
@pytest.mark.parametrize('pct', [10, 20, 30, 40, 50])
def test_supervised_dsb_follows_the_paper(depth, pct):
    cfg = Config.fromfile(
        str(CONFIG_ROOT / 'baselines' / f'supervised_r{depth}_dsb_{pct}pct.py'))
    assert cfg.model.backbone.depth == depth
    assert cfg.model.backbone.init_cfg.checkpoint == \
        f'torchvision://resnet{depth}'
    assert cfg.train_dataloader.dataset.ann_file == \
        f'annotations/semi/instances_train.1@{pct}.json'
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-5)
    assert cfg.train_cfg.max_epochs == 100
    (step, ) = cfg.param_scheduler
    assert step.type == 'MultiStepLR' and step.milestones == [75]
    pipeline = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert pipeline['Resize'].scale == (448, 448)
    assert pipeline['RandomFlip'].prob == 0.5
    assert pipeline['Rotate'].max_mag == 10.0
    assert pipeline['Rotate'].get('reversal_prob', 0.5) == 0.5  # +- angle
    anchors = cfg.model.bbox_head.anchor_generator
    assert len(anchors.strides) == 5
    assert len(anchors.ratios) * anchors.scales_per_octave == 9
    assert cfg.val_evaluator.type == 'DenseCocoMetric'
    assert max(cfg.val_evaluator.max_dets) > 100
    assert cfg.model.test_cfg.max_per_img >= max(cfg.val_evaluator.max_dets)


def test_fully_supervised_uses_the_whole_train_split():
    cfg = Config.fromfile(
        str(CONFIG_ROOT / 'baselines' / 'fully_supervised_r50_dsb.py'))
    assert cfg.train_dataloader.dataset.ann_file == \
        'annotations/instances_train.json'
