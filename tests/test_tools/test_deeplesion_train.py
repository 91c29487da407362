"""SSMD on the DeepLesion fixture through tools/train.py, scored by FROC.

The tools' chain (each tool's main, in this process): real-format fixture
-> deeplesion_to_coco.py -> split_semi.py -> train.py -> plot_froc.py: a
few SSMD iterations of the shipped DeepLesion config with a tiny detector, validated with the FROC metric on
the fixture's *test* split (it has a noisy lesion next to a clean one and a
key slice whose only lesion is noisy; one run keeps the test fast).
"""
import json
from pathlib import Path

import pytest

from conftest import tool_main, train_in_process
from fixtures.deeplesion import write_deeplesion_fixture

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'ssmd' / 'ssmd_r50_deeplesion_10pct.py'

# The shipped config with a small detector (the demo's half-width
# ResNet-18, 3 levels) and 64 x 64 inputs; everything else (loader, HU
# window, spacing, flip / rotation, padding, preprocessor, SSMD with NRB,
# cutout, EMA and adversarial hooks, FROC metric) is the config's.
SMALL = '''
_base_ = {config!r}
data_root = {root!r}
image_size = (64, 64)
model = dict(
    detector=dict(
        backbone=dict(depth=18, base_channels=32, frozen_stages=-1,
                      norm_eval=False, init_cfg=None),
        neck=dict(in_channels=[32, 64, 128, 256], out_channels=64,
                  start_level=1, add_extra_convs=False, num_outs=3),
        bbox_head=dict(in_channels=64, feat_channels=64, stacked_convs=2,
                       anchor_generator=dict(octave_base_scale=2,
                                             strides=[8, 16, 32])),
        # an untrained detector scores below mmdet's 0.05: keep its top
        # boxes so that the FROC walk has detections to match
        test_cfg=dict(score_thr=0.0, max_per_img=20)),
    semi_train_cfg=dict(cutout_size=16))
labeled_dataset = _base_.labeled_dataset
unlabeled_dataset = _base_.unlabeled_dataset
test_pipeline = _base_.test_pipeline
for __ds in (labeled_dataset, unlabeled_dataset):
    __ds.data_root = data_root
labeled_dataset.ann_file = 'annotations/semi/instances_train.1@50.json'
unlabeled_dataset.ann_file = \\
    'annotations/semi/instances_train.1@50-unlabeled.json'
for __pipeline in (labeled_dataset.pipeline, unlabeled_dataset.pipeline,
                   test_pipeline):
    for __t in __pipeline:
        if __t.type == 'ResizeToSpacing':
            __t.max_size = 64
        elif __t.type == 'Pad':
            __t.size = image_size
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(batch_size=4),  # 2 labeled + 2 unlabeled
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline,
                 ann_file='annotations/instances_test.json'))
val_evaluator = dict(ann_file=data_root + 'annotations/instances_test.json',
                     outfile_prefix={prefix!r})
train_cfg = dict(max_iters=4, val_interval=4)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=4))
'''


@pytest.fixture(scope='module')
def deeplesion_coco(tmp_path_factory):
    root = write_deeplesion_fixture(tmp_path_factory.mktemp('deeplesion'))
    tool_main('dataset_converters/deeplesion_to_coco.py',
              ['--data-root', root])
    tool_main('misc/split_semi.py', [
        '--ann-file', root / 'annotations/instances_train.json', '--out-dir',
        root / 'annotations/semi', '--percents', 50, '--folds', 1
    ])
    return root


def test_ssmd_trains_and_is_evaluated_with_froc(deeplesion_coco, tmp_path):
    work_dir = tmp_path / 'work'
    config = tmp_path / 'ssmd_small_deeplesion.py'
    config.write_text(SMALL.format(
        config=str(CONFIG), root=f'{deeplesion_coco}/',
        prefix=str(tmp_path / 'froc')))

    out = train_in_process(str(config), work_dir)
    assert 'Iter(train) [4/4]' in out
    for key in ('sup_loss_cls', 'sup_loss_bbox', 'cons_loss_cls',
                'cons_loss_bbox', 'consistency_lambda'):
        assert key in out, key
    for model in ('student', 'teacher'):
        for fp in ('0.5', '1', '2', '4', '8', '16'):
            assert f'{model}/deeplesion/sens@{fp}fp' in out
        assert f'{model}/deeplesion/sensitivity_at_4fp' in out
    assert (work_dir / 'iter_4.pth').exists()
    # the best checkpoint is tracked by the student's sensitivity at 4 FPs
    assert list(work_dir.glob(
        'best_student_deeplesion_sensitivity_at_4fp_iter_4.pth'))
    # the student's evaluation (written last). 3 test key slices with 4
    # lesions, 2 possibly noisy: one image keeps a clean lesion next to its
    # noisy one, the other (only a noisy lesion) is dropped. Predictions
    # came back in original slice pixels: the metric checks every sample's
    # ori_shape against the json's 48 x 64.
    froc = json.loads((tmp_path / 'froc.froc.json').read_text())
    assert froc['noisy_lesions_removed'] == 2
    assert froc['images_dropped_all_noisy'] == 1
    assert (froc['num_images'], froc['num_lesions']) == (2, 2)
    assert froc['num_detections'] == 2 * 20
    assert froc['points']['fps_per_image'] == [0.5, 1, 2, 4, 8, 16]
    tool_main('analysis/plot_froc.py', [tmp_path / 'froc.froc.json'])
    assert (tmp_path / 'froc.froc.png').stat().st_size > 0
