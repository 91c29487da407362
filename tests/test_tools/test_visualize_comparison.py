"""tools/analysis/visualize_comparison.py: COCO-style greedy matching on
hand-built boxes, and the grid on the synthetic nuclei (two models) and on
the DeepLesion fixture (float slices shown in the CT window)."""
import json

import numpy as np
import pytest
import torch
from matplotlib.image import imread
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from conftest import REPO_ROOT, load_tool, tool_main
from fixtures.deeplesion import SERIES, slice_hu
from test_deeplesion_train import CONFIG as DL_CONFIG
from test_deeplesion_train import SMALL, deeplesion_coco  # noqa: F401

DEMO = REPO_ROOT / 'configs' / 'demo'
# random weights give scores around 0.01: keep the top boxes
TINY = '''
_base_ = {base!r}
model = dict({inner}test_cfg=dict(score_thr=0.0, max_per_img=10){close})
'''


@pytest.fixture(scope='module')
def tool():
    return load_tool('analysis/visualize_comparison.py')


def test_match_detections_hand_built(tool):
    gt = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]],
                  dtype=np.float32)
    boxes = np.array([
        [0, 0, 10, 9],      # IoU 0.9 with gt 0
        [0, 0, 10, 8],      # IoU 0.8 with gt 0, lower score: duplicate
        [20, 20, 30, 25],   # IoU 0.5 with gt 1: a TP (>= 0.5)
        [50, 50, 60, 54],   # IoU 0.4 with gt 2: FP
        [100, 100, 110, 110]])  # nothing
    scores = np.array([0.6, 0.9, 0.5, 0.8, 0.7])
    tp, found = tool.match_detections(boxes, scores, gt, 0.5)
    # the higher-scored [0, 0, 10, 8] takes gt 0 first
    assert tp.tolist() == [False, True, True, False, False]
    assert found.tolist() == [True, True, False]
    # a detection takes the unmatched box of highest IoU
    two = np.array([[0, 0, 10, 10], [0, 0, 10, 12]], dtype=np.float32)
    tp, found = tool.match_detections(
        np.array([[0, 0, 10, 11], [0, 0, 10, 11.5]]), np.array([0.9, 0.8]),
        two, 0.5)
    assert tp.tolist() == [True, True] and found.tolist() == [True, True]
    tp, found = tool.match_detections(np.zeros((0, 4)), np.zeros(0), gt)
    assert tp.shape == (0, ) and found.tolist() == [False] * 3


def tiny_checkpoint(tmp_path, name: str, base, wrapped: bool):
    config = tmp_path / f'{name}.py'
    config.write_text(TINY.format(
        base=str(base), inner='detector=dict(' if wrapped else '',
        close=')' if wrapped else ''))
    torch.manual_seed(len(name))
    model = MODELS.build(Config.fromfile(config).model)
    checkpoint = tmp_path / f'{name}.pth'
    save_checkpoint(dict(state_dict=model.state_dict()), str(checkpoint))
    return config, checkpoint


def check_counts(counts, num_gt, max_dets):
    for per_image in counts:
        for count, gt in zip(per_image, num_gt):
            assert count['tp'] + count['fn'] == gt
            assert count['tp'] + count['fp'] <= max_dets


def test_grid_on_synthetic_nuclei(tmp_path, synthetic_dsb, tool):
    sup = tiny_checkpoint(tmp_path, 'sup',
                          DEMO / 'supervised_r18_synth_2.5pct.py', False)
    ssmd = tiny_checkpoint(tmp_path, 'ssmd',
                           DEMO / 'ssmd_r18_synth_2.5pct.py', True)
    out = tmp_path / 'grid.png'
    counts = tool_main('analysis/visualize_comparison.py', [
        '--model', 'supervised', *sup, '--model', 'SSMD', *ssmd,
        '--ann-file', synthetic_dsb / 'annotations/instances_test.json',
        '--img-root', synthetic_dsb, '--num-images', 3, '--score-thr', 0,
        '--panel-size', 1, '--out', out])
    image = imread(out)
    assert image.shape[:2] == (3 * 100, 3 * 100)  # rows x (GT + 2 models)
    assert list(counts) == ['supervised', 'SSMD']
    test = json.loads((synthetic_dsb /
                       'annotations/instances_test.json').read_text())
    ids = [img['id'] for img in test['images'][:3]]
    num_gt = [sum(a['image_id'] == i for a in test['annotations'])
              for i in ids]
    check_counts(counts.values(), num_gt, 10)
    # score 0 keeps all 10 boxes of each image
    assert all(c['tp'] + c['fp'] == 10 for c in counts['SSMD'])
    # --seed draws other images, deterministically
    again = [tool_main('analysis/visualize_comparison.py', [
        '--model', 'SSMD', *ssmd, '--ann-file',
        synthetic_dsb / 'annotations/instances_test.json', '--img-root',
        synthetic_dsb, '--num-images', 2, '--seed', 1, '--panel-size', 1,
        '--out', tmp_path / f'seed{k}.png']) for k in range(2)]
    assert again[0] == again[1]
    assert imread(tmp_path / 'seed0.png').shape[:2] == (200, 200)


def test_grid_on_deeplesion(tmp_path, deeplesion_coco, tool):  # noqa: F811
    config = tmp_path / 'dl.py'
    config.write_text(SMALL.format(
        config=str(DL_CONFIG), root=f'{deeplesion_coco}/',
        prefix=str(tmp_path / 'froc')) + (
            'test_dataloader = dict(dataset=dict(data_root=data_root, '
            'pipeline=test_pipeline))\n'))
    model = MODELS.build(Config.fromfile(config).model)
    checkpoint = tmp_path / 'dl.pth'
    save_checkpoint(dict(state_dict=model.state_dict()), str(checkpoint))
    out = tmp_path / 'dl.png'
    counts = tool_main('analysis/visualize_comparison.py', [
        '--model', 'SSMD', config, checkpoint, '--num-images', 2,
        '--score-thr', 0, '--panel-size', 1, '--out', out])
    assert imread(out).shape[:2] == (200, 200)
    # the test split's first two key slices (json order); possibly-noisy
    # lesions are not ground truth
    cfg = Config.fromfile(config)
    dataset = tool.test_dataset(cfg, None, None)
    truths = [len(tool.ground_truth(dataset, i)) for i in range(2)]
    check_counts(counts.values(), truths, 20)
    # the display image: the key slice in the loader's HU window
    info = dataset.get_data_info(0)
    shown = tool.display_image(dataset, 0, None)
    folder, key = info['img_path'].split('/')[-2:]
    series = next(s for s in SERIES
                  if folder == '{:06d}_{:02d}_{:02d}'.format(*s['key']))
    hu = slice_hu(series, int(key[:3]))
    expected = np.clip((hu + 1100) / 2200, 0, 1) * 255
    assert shown.shape == hu.shape + (3, ) and shown.dtype == np.uint8
    assert np.abs(shown[..., 1] - expected).max() <= 1
    narrow = tool.display_image(dataset, 0, (-100, 100))
    expected = np.clip((hu + 100) / 200, 0, 1) * 255
    assert np.abs(narrow[..., 1] - expected).max() <= 1


def test_missing_checkpoint_writes_nothing(tmp_path):
    missing = tmp_path / 'nope.pth'
    with pytest.raises(SystemExit, match=f'checkpoint {missing} not found'):
        tool_main('analysis/visualize_comparison.py', [
            '--model', 'a', DEMO / 'ssmd_r18_synth_2.5pct.py', missing,
            '--out', tmp_path / 'x.png'])
    assert not (tmp_path / 'x.png').exists()
