"""Table 10's detectors (SSD, Faster R-CNN, Mask R-CNN) through the tools.

Each demo-size variant trains a few iterations through tools/train.py on
the session's synthetic nuclei (with validation) and is tested by
tools/test.py. The SSMD runs add the paper's noisy residual blocks, cutout
of the labeled and unlabeled views and IAP to the demo's settings (so the
whole method runs with every detector); their checkpoint is converted by
tools/model_converters/extract_detector.py into the plain mmdet detector,
which ``init_detector`` / ``inference_detector`` load and which predicts
exactly what the SSMD model (its student) predicts.

mmengine formats the config text with yapf whenever a run logs or dumps
its config (ten times per test here, about 2 s each on one core for these
configs: about half of the tests' time); the tests skip that formatting
(the text is the same code, unformatted).
"""
import json

import pytest
import torch
from mmdet.apis import inference_detector, init_detector
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from conftest import REPO_ROOT, demo_data_options, tool_main, train_in_process

DETECTORS = ('ssd', 'faster-rcnn', 'mask-rcnn')
PLAIN_TYPES = {'ssd': 'SingleStageDetector', 'faster-rcnn': 'FasterRCNN',
               'mask-rcnn': 'MaskRCNN'}
# 2 iterations, validated and saved at the end
ITERS = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2',
         'default_hooks.checkpoint.interval=2']
# the demo on top of its settings: the paper's NRB, cutout (of the demo's
# scale, labeled views too) and IAP after the EMA hook
FULL_SSMD = '''
_base_ = {config!r}
model = dict(
    detector=dict(backbone=dict(perturbation=_base_.ssmd_perturbation)),
    semi_train_cfg=dict(cutout_holes=2, cutout_size=30, cutout_labeled=True))
custom_hooks = [*_base_.demo_ssmd_hooks, _base_.adversarial_hook]
'''


@pytest.fixture(autouse=True)
def unformatted_config_text(monkeypatch):
    monkeypatch.setattr('mmengine.config.config.FormatCode',
                        lambda text, **kwargs: (text, False))


def few_detections(detector, prefix):
    """The top 20 boxes of any score (from 200 proposals): an untrained
    model has detections to compare, and Mask R-CNN pastes and scores few
    masks."""
    if detector == 'ssd':
        return [f'{prefix}test_cfg.score_thr=0.0',
                f'{prefix}test_cfg.max_per_img=20']
    return [f'{prefix}test_cfg.rcnn.score_thr=0.0',
            f'{prefix}test_cfg.rcnn.max_per_img=20',
            f'{prefix}test_cfg.rpn.max_per_img=200']


def run_test_tool(config, checkpoint, options, work_dir):
    """tools/test.py ... --metrics-out: the metrics it writes."""
    out = work_dir / 'metrics.json'
    tool_main('test.py', [config, checkpoint, '--work-dir', work_dir,
                          '--metrics-out', out, '--cfg-options', *options])
    return json.loads(out.read_text())


@pytest.mark.parametrize('detector', DETECTORS)
def test_supervised_demo_trains_and_tests(detector, synthetic_dsb, tmp_path):
    config = REPO_ROOT / 'configs' / 'demo' / \
        f'supervised_{detector}_r18_synth_2.5pct.py'
    options = [*demo_data_options(synthetic_dsb, semi=False, batch_size=2),
               *ITERS,
               *few_detections(detector, 'model.')]
    log = train_in_process(config, tmp_path, options)
    assert 'Iter(train) [2/2]' in log and 'coco/bbox_mAP' in log
    assert ('loss_mask' in log) == (detector == 'mask-rcnn')
    metrics = run_test_tool(config, tmp_path / 'iter_2.pth', options,
                        tmp_path / 'test')
    assert 'coco/bbox_mAP' in metrics
    assert ('coco/segm_mAP' in metrics) == (detector == 'mask-rcnn')


@pytest.mark.parametrize('detector', [
    'ssd',
    # 20-30 s each on a shared 2-core CPU
    pytest.param('faster-rcnn', marks=pytest.mark.slow),
    pytest.param('mask-rcnn', marks=pytest.mark.slow)
])
def test_ssmd_demo_trains_tests_and_exports(detector, synthetic_dsb,
                                            tmp_path):
    config = tmp_path / f'ssmd_{detector}_full.py'
    config.write_text(FULL_SSMD.format(config=str(
        REPO_ROOT / 'configs' / 'demo' /
        f'ssmd_{detector}_r18_synth_2.5pct.py')))
    options = [*demo_data_options(synthetic_dsb, semi=True, batch_size=2),
               *ITERS,
               *few_detections(detector, 'model.detector.')]
    work = tmp_path / 'work'
    log = train_in_process(config, work, options)
    assert 'Iter(train) [2/2]' in log
    for key in ('sup_loss_cls', 'cons_', 'consistency_lambda',
                'student/coco/bbox_mAP', 'teacher/coco/bbox_mAP'):
        assert key in log, key
    assert ('sup_loss_mask' in log) == (detector == 'mask-rcnn')
    checkpoint = work / 'iter_2.pth'
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)
    assert any('perturbations.' in k for k in state['state_dict'])  # NRB
    metrics = run_test_tool(config, checkpoint, options, tmp_path / 'test')
    assert 'coco/bbox_mAP' in metrics
    assert ('coco/segm_mAP' in metrics) == (detector == 'mask-rcnn')

    # the plain detector: from the run's config (with the options)
    dumped = work / config.name
    assert dumped.is_file()
    out, plain_cfg = tool_main('model_converters/extract_detector.py',
                               [dumped, checkpoint, tmp_path / 'plain.pth'])
    plain = init_detector(str(plain_cfg), str(out), device='cpu')
    assert type(plain).__name__ == PLAIN_TYPES[detector]
    assert type(plain.backbone).__name__ == 'ResNet'
    assert plain.dataset_meta['classes'] == ('nucleus', )
    images = sorted(str(p) for p in synthetic_dsb.glob(
        'stage1_train/*/images/*.png'))[:2]
    exported = inference_detector(plain, images)

    # the SSMD model (its student predicts) on the same images
    cfg = Config.fromfile(str(dumped))
    ssmd = MODELS.build(cfg.model)
    load_checkpoint(ssmd, str(checkpoint), map_location='cpu')
    ssmd.cfg = cfg
    ssmd.eval()
    assert ssmd.semi_test_cfg['predict_on'] == 'student'
    reference = inference_detector(ssmd, images)
    keys = ('bboxes', 'scores', 'labels') + \
        (('masks', ) if detector == 'mask-rcnn' else ())
    for a, b in zip(exported, reference):
        a, b = a.pred_instances, b.pred_instances
        assert len(a) == 20
        for key in keys:
            assert torch.equal(a[key], b[key]), key
