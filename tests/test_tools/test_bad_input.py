"""Bad input where a user gives input (issue 8, item 4).

Each test makes one mistake a user can make, checks that the error names
the file (and the row / field) and says what is wrong, and, for the tools
that write files, that nothing is left behind. The converter's own cases
(corrupt PNG, malformed CSV row, ...) are in test_dsb2018_to_coco.py, the
split tool's percent checks in test_split_semi.py. Datasets are built
through the registry, as the runner builds the train dataloader.
"""
import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmdet.registry import DATASETS
from mmengine.config import Config

from conftest import load_tool

REPO = Path(__file__).resolve().parents[2]
SSMD_DEMO = REPO / 'configs/demo/ssmd_r18_synth_2.5pct.py'
split_tool = load_tool('misc/split_semi.py')


def coco(n_images=4, categories=({'id': 1, 'name': 'nucleus'}, )):
    images = [{'id': i, 'file_name': f'img{i}.png', 'height': 32,
               'width': 32} for i in range(1, n_images + 1)]
    anns = [{'id': i, 'image_id': i, 'category_id': 1,
             'bbox': [4.0, 4.0, 10.0, 8.0], 'area': 80.0, 'iscrowd': 0,
             'segmentation': [[4.0, 4.0, 14.0, 4.0, 14.0, 12.0, 4.0, 12.0]]}
            for i in range(1, n_images + 1)]
    return {'images': images, 'annotations': anns,
            'categories': list(categories)}


@pytest.fixture
def data_root(tmp_path):
    """4 images of 32 px; full, labeled and unlabeled COCO files."""
    rng = np.random.default_rng(0)
    for i in range(1, 5):
        cv2.imwrite(str(tmp_path / f'img{i}.png'),
                    rng.integers(0, 255, (32, 32, 3), dtype=np.uint8))
    ann_dir = tmp_path / 'annotations'
    (ann_dir / 'semi').mkdir(parents=True)
    full = coco()
    (ann_dir / 'instances_train.json').write_text(json.dumps(full))
    labeled = dict(full, images=full['images'][:2],
                   annotations=full['annotations'][:2])
    unlabeled = dict(full, images=full['images'][2:],
                     annotations=full['annotations'][2:])
    (ann_dir / 'semi/instances_train.1@50.json').write_text(
        json.dumps(labeled))
    (ann_dir / 'semi/instances_train.1@50-unlabeled.json').write_text(
        json.dumps(unlabeled))
    return tmp_path


def semi_dataset_cfg(root,
                     labeled='annotations/semi/instances_train.1@50.json',
                     unlabeled='annotations/semi/'
                     'instances_train.1@50-unlabeled.json'):
    """The SSMD demo's ConcatDataset, on ``root``."""
    cfg = Config.fromfile(str(SSMD_DEMO))
    ds = copy.deepcopy(cfg.train_dataloader.dataset)
    for sub, ann in zip(ds.datasets, (labeled, unlabeled)):
        sub.data_root = str(root) + '/'
        sub.ann_file = ann
    return ds


def test_good_input_builds(data_root):
    ds = DATASETS.build(semi_dataset_cfg(data_root))
    assert [len(d) for d in ds.datasets] == [2, 2]


def test_unknown_labeled_percent_names_file_and_command(data_root):
    """A percent that was never split (15%): the file and how to make it."""
    cfg = semi_dataset_cfg(
        data_root, labeled='annotations/semi/instances_train.1@15.json')
    with pytest.raises(FileNotFoundError) as exc:
        DATASETS.build(cfg)
    msg = str(exc.value)
    missing = f'{data_root}/annotations/semi/instances_train.1@15.json'
    assert f'annotation file {missing} does not exist' in msg
    assert (f'tools/misc/split_semi.py --ann-file {data_root}/annotations/'
            'instances_train.json') in msg
    assert '--percents 15 --folds 1' in msg


@pytest.mark.parametrize('dataset, converter', [
    ('DSBNucleiDataset', 'tools/dataset_converters/dsb2018_to_coco.py'),
    ('DeepLesionDataset', 'tools/dataset_converters/deeplesion_to_coco.py'),
])
def test_missing_converted_file_points_to_its_converter(
        tmp_path, dataset, converter):
    """The hint comes from the dataset class (``converter``)."""
    missing = tmp_path / 'annotations/instances_val.json'
    with pytest.raises(FileNotFoundError,
                       match=re.escape(f'python {converter} --data-root '
                                       f'{tmp_path}')):
        DATASETS.build(dict(type=dataset, ann_file=str(missing),
                            pipeline=[]))
    from mmssmd.datasets import check_ann_file
    with pytest.raises(FileNotFoundError) as exc:
        check_ann_file(str(missing))  # no converter given: no command
    assert str(exc.value) == f'annotation file {missing} does not exist.'


@pytest.mark.parametrize('categories, shown', [
    ([{'id': 1, 'name': 'cell'}], "has categories ['cell']"),
    ([{'id': 1, 'name': 'nucleus'}, {'id': 2, 'name': 'cell'}],
     "has categories ['nucleus', 'cell']"),
    ([], 'has no "categories"'),
])
def test_unlabeled_split_with_other_categories(data_root, categories, shown):
    path = data_root / 'annotations/semi/instances_train.1@50-unlabeled.json'
    ann = json.loads(path.read_text())
    ann['categories'] = categories
    ann['annotations'] = []  # mmdet alone would accept this silently
    path.write_text(json.dumps(ann))
    with pytest.raises(ValueError) as exc:
        DATASETS.build(semi_dataset_cfg(data_root))
    msg = str(exc.value)
    assert f'annotation file {path} {shown}' in msg
    assert "dataset classes are ['nucleus']" in msg


def test_empty_unlabeled_set_fails_at_build(data_root):
    """MultiSourceSampler would search an empty source forever."""
    path = data_root / 'annotations/semi/instances_train.1@50-unlabeled.json'
    path.write_text(json.dumps(coco(0)))
    with pytest.raises(ValueError) as exc:
        DATASETS.build(semi_dataset_cfg(data_root))
    assert f'annotation file {path} gives no images' in str(exc.value)


def test_labeled_set_empty_after_filtering(data_root):
    path = data_root / 'annotations/semi/instances_train.1@50.json'
    ann = json.loads(path.read_text())
    ann['annotations'] = []  # filter_empty_gt=True drops every image
    path.write_text(json.dumps(ann))
    with pytest.raises(ValueError) as exc:
        DATASETS.build(semi_dataset_cfg(data_root))
    msg = str(exc.value)
    assert f'annotation file {path} gives no images after filtering' in msg
    assert 'filter_empty_gt' in msg


@pytest.mark.parametrize('damage', ['corrupt', 'truncated', 'missing'])
def test_bad_image_in_training_names_the_file(data_root, damage):
    """The train pipeline (mmcv's LoadImageFromFile) names the image."""
    img = data_root / 'img3.png'  # an unlabeled image
    if damage == 'corrupt':
        img.write_bytes(b'not a png at all')
    elif damage == 'truncated':
        img.write_bytes(img.read_bytes()[:200])
    else:
        img.unlink()
    ds = DATASETS.build(semi_dataset_cfg(data_root))
    ds[0], ds[1], ds[3]  # the others load
    with pytest.raises((AssertionError, FileNotFoundError, OSError)) as exc:
        ds[2]
    assert str(img) in str(exc.value)


def test_split_tool_bad_inputs_write_nothing(tmp_path):
    out = tmp_path / 'semi'
    ann = coco(10)
    del ann['categories']
    (tmp_path / 'nocat.json').write_text(json.dumps(ann))
    with pytest.raises(split_tool.SplitError, match=re.escape(
            f'annotation file {tmp_path}/nocat.json has no categories')):
        split_tool.main(['--ann-file', str(tmp_path / 'nocat.json'),
                         '--out-dir', str(out), '--percents', '50'])
    ann = coco(10)
    ann['annotations'][3]['image_id'] = 99
    (tmp_path / 'dangling.json').write_text(json.dumps(ann))
    with pytest.raises(split_tool.SplitError, match=re.escape(
            'annotations[3] refers to image_id 99')):
        split_tool.main(['--ann-file', str(tmp_path / 'dangling.json'),
                         '--out-dir', str(out), '--percents', '50'])
    ann = coco(10)
    del ann['images'][5]['id']
    (tmp_path / 'noid.json').write_text(json.dumps(ann))
    with pytest.raises(split_tool.SplitError,
                       match=re.escape('images[5] has no "id"')):
        split_tool.main(['--ann-file', str(tmp_path / 'noid.json'),
                         '--out-dir', str(out), '--percents', '50'])
    (tmp_path / 'broken.json').write_text('{"images": [')
    with pytest.raises(split_tool.SplitError, match=re.escape(
            f'cannot read annotation file {tmp_path}/broken.json')):
        split_tool.main(['--ann-file', str(tmp_path / 'broken.json'),
                         '--out-dir', str(out), '--percents', '50'])
    assert not out.exists()


@pytest.mark.parametrize('percent, expect', [
    ('ten', "argument --percents: invalid float value: 'ten'"),
    ('nan', 'percent nan is not in (0, 100)'),
    ('0', 'percent 0 is not in (0, 100)'),
    ('101', 'percent 101 is not in (0, 100)'),
])
def test_split_tool_bad_percent(tmp_path, capsys, percent, expect):
    (tmp_path / 'train.json').write_text(json.dumps(coco(10)))
    argv = ['--ann-file', str(tmp_path / 'train.json'), '--percents', percent]
    with pytest.raises((SystemExit, split_tool.SplitError)) as exc:
        split_tool.main(argv)
    shown = capsys.readouterr().err + str(exc.value)
    assert expect in shown
    assert sorted(os.listdir(tmp_path)) == ['train.json']


@pytest.mark.slow
def test_split_tool_cli_prints_the_error_without_traceback(tmp_path):
    (tmp_path / 'train.json').write_text(json.dumps(coco(10)))
    proc = subprocess.run(
        [sys.executable, str(REPO / 'tools/misc/split_semi.py'),
         '--ann-file', str(tmp_path / 'train.json'), '--percents', '150'],
        capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr == ('error: percent 150 is not in (0, 100) '
                           '(n = 10 images)\n')
    assert sorted(os.listdir(tmp_path)) == ['train.json']


def test_train_and_test_tools_missing_checkpoint(tmp_path):
    train_tool = load_tool('train.py')
    test_tool = load_tool('test.py')
    missing = tmp_path / 'iter_100.pth'
    with pytest.raises(SystemExit, match=re.escape(
            f'error: --resume checkpoint {missing} not found')):
        train_tool.main([str(SSMD_DEMO), '--resume', str(missing)])
    with pytest.raises(SystemExit, match=re.escape(
            f'error: checkpoint {missing} not found')):
        test_tool.main([str(SSMD_DEMO), str(missing)])
    assert os.listdir(tmp_path) == []
