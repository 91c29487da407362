"""tools/dataset_converters/deeplesion_to_coco.py on real-format input."""
import csv
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import REPO_ROOT, load_tool
from fixtures.deeplesion import (HEADER, HEIGHT, SERIES, WIDTH, csv_rows,
                                 series_name, write_deeplesion_fixture)

tool = load_tool('dataset_converters/deeplesion_to_coco.py')

# the real first data row of DL_info.csv
REAL_ROW = ('000001_01_01_109.png,1,1,1,109,"233.537, 95.0204, 234.057, '
            '106.977, 231.169, 101.605, 236.252, 101.143","226.169, 90.0204, '
            '241.252, 111.977","11.9677, 5.10387","0.44666, 0.283794, '
            '0.434454",3,0,"103, 115","0.488281, 0.488281, 5","512, 512",'
            '"-175, 275",F,62,3')


def load_json(path):
    with open(path) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    root = write_deeplesion_fixture(tmp_path_factory.mktemp('dl'))
    report = tool.main(['--data-root', str(root)])
    out = {s: load_json(root / 'annotations' / f'instances_{s}.json')
           for s in ('train', 'val', 'test')}
    return root, report, out


def test_official_split_one_image_per_key_slice(converted):
    root, report, out = converted
    expected = {1: set(), 2: set(), 3: set()}
    for series in SERIES:
        for image in series['images']:
            expected[image['split']].add(
                f'Images_png/{series_name(series["key"])}/'
                f'{image["slice"]:03d}.png')
    for split, name in ((1, 'train'), (2, 'val'), (3, 'test')):
        files = [im['file_name'] for im in out[name]['images']]
        assert set(files) == expected[split] and len(files) == len(set(files))
        assert files == sorted(files)
        for im in out[name]['images']:
            assert (root / im['file_name']).is_file()
            assert (im['width'], im['height']) == (WIDTH, HEIGHT)
            assert im['split'] == split
        assert out[name]['categories'] == [{'id': 1, 'name': 'lesion'}]
    ids = [im['id'] for d in out.values() for im in d['images']]
    assert sorted(ids) == list(range(1, len(ids) + 1))
    ann_ids = [a['id'] for d in out.values() for a in d['annotations']]
    assert sorted(ann_ids) == list(range(1, len(ann_ids) + 1))
    assert report['splits']['test'] == dict(
        images=3, lesions=4, noisy_lesions=2, images_all_noisy=1,
        unknown_slice_interval=0)
    assert sorted(report['outputs']) == sorted(
        str(root / 'annotations' / f'instances_{s}.json')
        for s in ('train', 'val', 'test'))


def test_boxes_lesions_and_image_fields(converted):
    root, _, out = converted
    images = {im['file_name']: (im, d)
              for d in out.values() for im in d['images']}
    for series in SERIES:
        name = series_name(series['key'])
        for image in series['images']:
            im, d = images[f'Images_png/{name}/{image["slice"]:03d}.png']
            assert im['series'] == name
            assert im['slice_dir'] == f'Images_png/{name}'
            assert im['key_slice'] == image['slice']
            assert im['slice_range'] == list(series['range'])
            assert im['spacing'] == [series['xy'], series['xy'], series['z']]
            assert im['dicom_windows'] == [[-175.0, 275.0]]
            age = None if series['age'] == 'NaN' else int(series['age'])
            assert im['patient_age'] == age
            assert im['patient_gender'] == series['gender']
            anns = [a for a in d['annotations'] if a['image_id'] == im['id']]
            # several lesions of one key slice stay on one image, in order
            assert len(anns) == len(image['lesions'])
            for ann, lesion in zip(anns, image['lesions']):
                x1, y1, x2, y2 = lesion['box']  # the 0-based truth
                assert ann['bbox'] == pytest.approx(
                    [x1, y1, x2 - x1, y2 - y1])
                assert ann['area'] == pytest.approx((x2 - x1) * (y2 - y1))
                assert ann['noisy'] == lesion['noisy']
                assert ann['lesion_type'] == lesion['type']
                assert ann['iscrowd'] == 0 and ann['category_id'] == 1
                cy = (y1 + y2) / 2
                assert ann['recist'][:4] == pytest.approx([x1, cy, x2, cy])
            assert im['num_noisy'] == sum(les['noisy']
                                          for les in image['lesions'])
    # the noisy lesions stay visible: next to a clean one, and alone
    test = out['test']
    assert sum(a['noisy'] for a in test['annotations']) == 2


def write_tree(root, rows, sizes=None, depth=np.uint16):
    """A DL_info.csv with ``rows`` (text lines) and their key slices."""
    (root / 'Images_png').mkdir(parents=True)
    with open(root / 'DL_info.csv', 'w') as f:
        f.write(','.join(HEADER) + '\n')
        for row in rows:
            f.write(row + '\n')
    for row in csv.reader(rows):
        folder = root / 'Images_png' / row[0][:12]
        folder.mkdir(exist_ok=True)
        w, h = (sizes or {}).get(row[0], (512, 512))
        cv2.imwrite(str(folder / row[0][13:]), np.full((h, w), 32768, depth))


def test_the_real_first_row(tmp_path):
    write_tree(tmp_path, [REAL_ROW])
    tool.main(['--data-root', str(tmp_path)])
    d = load_json(tmp_path / 'annotations' / 'instances_test.json')
    (im, ) = d['images']
    assert im['file_name'] == 'Images_png/000001_01_01/109.png'
    assert im['key_slice'] == 109 and im['slice_range'] == [103, 115]
    assert im['spacing'] == [0.488281, 0.488281, 5.0]
    assert (im['patient_gender'], im['patient_age']) == ('F', 62)
    (ann, ) = d['annotations']
    assert ann['bbox'] == pytest.approx(
        [225.169, 89.0204, 241.252 - 226.169, 111.977 - 90.0204])
    assert ann['lesion_type'] == 3 and ann['noisy'] == 0
    assert ann['dicom_window'] == [-175.0, 275.0]
    assert ann['diameters_px'] == [11.9677, 5.10387]
    assert load_json(tmp_path / 'annotations' /
                     'instances_train.json')['images'] == []


def bad(row, **fields):
    """The real row with some fields replaced."""
    cells = next(csv.reader([row]))
    cols = {name: i for i, name in enumerate(HEADER)}
    for name, value in fields.items():
        cells[cols[name]] = value
    buf = []

    class _W:
        def write(self, s):
            buf.append(s)

    csv.writer(_W(), lineterminator='').writerow(cells)
    return ''.join(buf)


SECOND = REAL_ROW.replace('000001_01_01_109.png,1,1,1,109',
                          '000002_01_01_020.png,2,1,1,20').replace(
                              '"103, 115"', '"10, 30"')


@pytest.mark.parametrize('broken, message', [
    (bad(SECOND, Bounding_boxes='1, 2, 3'), 'Bounding_boxes must hold 4'),
    (bad(SECOND, Bounding_boxes='5, 5, 5, 9'),
     'Bounding_boxes [5.0, 5.0, 5.0, 9.0] is empty'),
    (bad(SECOND, Key_slice_index='21'), 'disagrees with'),
    (bad(SECOND, Slice_range='21, 30'), 'outside Slice_range'),
    (bad(SECOND, Train_Val_Test='4'), 'Train_Val_Test must be 1, 2 or 3'),
    (bad(SECOND, Possibly_noisy='x'), 'Possibly_noisy must be an integer'),
    (bad(SECOND, Spacing_mm_px_='0.5, nan, 1'), 'x and y must be positive'),
    (bad(SECOND, Patient_age='old'), 'Patient_age must be a number or NaN'),
    (SECOND + ',extra', 'expected 18 fields, got 19'),
], ids=['box-length', 'box-empty', 'file-name', 'slice-range', 'split',
        'noisy', 'spacing', 'age', 'field-count'])
def test_malformed_row_fails_with_its_line_and_writes_nothing(
        tmp_path, broken, message):
    write_tree(tmp_path, [REAL_ROW, broken])
    with pytest.raises(tool.ConversionError) as e:
        tool.main(['--data-root', str(tmp_path)])
    assert str(e.value).startswith(f'{tmp_path}/DL_info.csv line 3: ')
    assert message in str(e.value)
    assert not (tmp_path / 'annotations').exists()


def test_rows_of_one_key_slice_must_agree(tmp_path):
    write_tree(tmp_path,
               [REAL_ROW, bad(REAL_ROW, Spacing_mm_px_='0.5, 0.5, 5')])
    with pytest.raises(tool.ConversionError,
                       match='line 3: spacing .* differs from .* on line 2'):
        tool.main(['--data-root', str(tmp_path)])


def test_missing_key_slice_fails_with_its_path(tmp_path):
    write_tree(tmp_path, [REAL_ROW, SECOND])
    missing = tmp_path / 'Images_png' / '000002_01_01' / '020.png'
    missing.unlink()
    out = tmp_path / 'annotations'
    out.mkdir()
    (out / 'instances_train.json').write_text('old')
    with pytest.raises(tool.ConversionError,
                       match=f'key slice {missing} not found'):
        tool.main(['--data-root', str(tmp_path)])
    # no partial output: nothing new, the old file untouched
    assert sorted(p.name for p in out.iterdir()) == ['instances_train.json']
    assert (out / 'instances_train.json').read_text() == 'old'


def test_image_checks(tmp_path):
    write_tree(tmp_path / 'a', [REAL_ROW], depth=np.uint8)
    with pytest.raises(tool.ConversionError, match='not a 16-bit grey PNG'):
        tool.main(['--data-root', str(tmp_path / 'a')])
    write_tree(tmp_path / 'b', [REAL_ROW],
               sizes={'000001_01_01_109.png': (512, 400)})
    with pytest.raises(tool.ConversionError,
                       match=r'line 2: Image_size \[512, 512\] does not '
                       'match the 512x400'):
        tool.main(['--data-root', str(tmp_path / 'b')])


def test_nan_interval_is_kept_as_unknown(tmp_path):
    write_tree(tmp_path, [bad(REAL_ROW, Spacing_mm_px_='0.7, 0.7, NaN')])
    report = tool.main(['--data-root', str(tmp_path)])
    d = load_json(tmp_path / 'annotations' / 'instances_test.json')
    assert d['images'][0]['spacing'] == [0.7, 0.7, None]
    assert report['splits']['test']['unknown_slice_interval'] == 1


@pytest.mark.slow
def test_cli_exit_status(tmp_path):
    write_tree(tmp_path, [REAL_ROW, bad(SECOND, Bounding_boxes='1, 2')])
    proc = subprocess.run(
        [sys.executable, 'tools/dataset_converters/deeplesion_to_coco.py',
         '--data-root', str(tmp_path)], cwd=REPO_ROOT, capture_output=True,
        text=True)
    assert proc.returncode == 1
    assert 'error:' in proc.stderr and 'line 3' in proc.stderr


def test_fixture_rows_are_in_the_real_format():
    """The generator's CSV quotes vectors and writes NaN ages like the
    real file (a guard on the fixture itself)."""
    rows = csv_rows()
    assert any(r[HEADER.index('Patient_age')] == 'NaN' for r in rows)
    line = []

    class _W:
        def write(self, s):
            line.append(s)

    csv.writer(_W()).writerow(rows[0])
    assert '"103, 115","0.7, 0.7, 5","64, 48","-175, 275",F,62,1' in \
        ''.join(line)
