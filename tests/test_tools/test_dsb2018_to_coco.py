"""Tests of tools/dataset_converters/dsb2018_to_coco.py on tiny fixtures
written in the real Kaggle DSB 2018 layout."""
import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_util

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / 'tools/dataset_converters/dsb2018_to_coco.py'


def _load_tool():
    spec = importlib.util.spec_from_file_location('dsb2018_to_coco', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


# --------------------------------------------------------------------------
# Fixture helpers
# --------------------------------------------------------------------------
def rect(h, w, y1, x1, y2, x2):
    """Inclusive rectangle mask."""
    m = np.zeros((h, w), dtype=bool)
    m[y1:y2 + 1, x1:x2 + 1] = True
    return m


def ellipse(h, w, cy, cx, b, a):
    """Filled axis-aligned ellipse with integer centre and semi-axes: its
    extreme pixels are (cy, cx +- a) and (cy +- b, cx), so its box is
    [cx - a, cy - b, 2a + 1, 2b + 1]."""
    yy, xx = np.mgrid[:h, :w]
    return ((xx - cx) / a)**2 + ((yy - cy) / b)**2 <= 1


def write_image(path, h, w, channels, seed=0):
    rng = np.random.default_rng(seed)
    shape = (h, w) if channels == 1 else (h, w, channels)
    img = rng.integers(0, 256, size=shape, dtype=np.uint8)
    if channels == 4:
        img[..., 3] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)


def write_dataset(root, spec):
    """spec: {image_id: (h, w, channels, [(mask name, bool mask, fg value)])}.

    A ``None`` mask list means: no masks directory at all."""
    for i, (image_id, (h, w, ch, masks)) in enumerate(spec.items()):
        base = root / 'stage1_train' / image_id
        write_image(base / 'images' / f'{image_id}.png', h, w, ch, seed=i)
        if masks is None:
            continue
        (base / 'masks').mkdir(parents=True, exist_ok=True)
        for name, m, fg in masks:
            assert cv2.imwrite(str(base / 'masks' / name),
                               m.astype(np.uint8) * fg)


def rle_encode(mask):
    """Independent Kaggle RLE encoder: column-major, 1-indexed, written as a
    plain loop over the pixels."""
    h, w = mask.shape
    runs = []
    pos = 0
    run_start = None
    for x in range(w):
        for y in range(h):
            pos += 1
            if mask[y, x] and run_start is None:
                run_start = pos
            elif not mask[y, x] and run_start is not None:
                runs.append((run_start, pos - run_start))
                run_start = None
    if run_start is not None:
        runs.append((run_start, pos + 1 - run_start))
    return ' '.join(f'{s} {n}' for s, n in runs)


def write_csv(path, rows, size_cols=False):
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        if size_cols:
            writer.writerow(['ImageId', 'EncodedPixels', 'Height', 'Width',
                             'Usage'])
        else:
            writer.writerow(['ImageId', 'EncodedPixels'])
        writer.writerows(rows)


def load(path):
    with open(path) as f:
        return json.load(f)


def decode(seg):
    return mask_util.decode({'size': seg['size'],
                             'counts': seg['counts'].encode('ascii')})


# The main fixture: 3 images, RGBA / RGB / grey, 20x30 and 24x16.
H1, W1 = 20, 30
H2, W2 = 24, 16
MASKS = {
    'img_a': [
        # name, mask, foreground value, expected bbox
        ('m0.png', rect(H1, W1, 2, 3, 5, 9), 255, [3., 2., 7., 4.]),
        ('m1.png', ellipse(H1, W1, 12, 20, 3, 5), 255, [15., 9., 11., 7.]),
        ('m2.png', rect(H1, W1, 15, 0, 19, 1), 1, [0., 15., 2., 5.]),
    ],
    'img_b': [
        ('k0.png', rect(H2, W2, 0, 10, 23, 15), 255, [10., 0., 6., 24.]),
        ('k1.png', ellipse(H2, W2, 6, 4, 4, 2), 255, [2., 2., 5., 9.]),
    ],
    'img_c': [
        ('z.png', rect(H1, W1, 10, 29, 10, 29), 255, [29., 10., 1., 1.]),
    ],
}
SIZES = {'img_a': (H1, W1, 4), 'img_b': (H2, W2, 3), 'img_c': (H1, W1, 1)}


@pytest.fixture
def dsb(tmp_path):
    root = tmp_path / 'dsb'
    write_dataset(root, {
        k: (*SIZES[k], [(n, m, fg) for n, m, fg, _ in v])
        for k, v in MASKS.items()
    })
    return root


def run(root, *extra, out=None):
    out = out or root / 'annotations'
    report = tool.main(['--data-root', str(root), '--out-dir', str(out),
                        '--no-progress', *extra])
    return report, out


def anns_by_file(coco):
    names = {im['id']: im['file_name'] for im in coco['images']}
    return [(names[a['image_id']], a) for a in coco['annotations']]


# --------------------------------------------------------------------------
# Folder mode
# --------------------------------------------------------------------------
def test_folder_mode_exact_boxes(dsb):
    report, out = run(dsb)
    assert sorted(os.listdir(out)) == [
        'instances_all.json', 'instances_test.json', 'instances_train.json',
        'instances_val.json'
    ]
    coco = load(out / 'instances_all.json')
    assert coco['categories'] == [{'id': 1, 'name': 'nucleus'}]
    # images: ids 1..n in sorted ImageId order, sizes from the PNGs
    assert [(im['id'], im['file_name'], im['height'], im['width'])
            for im in coco['images']] == [
                (1, 'stage1_train/img_a/images/img_a.png', H1, W1),
                (2, 'stage1_train/img_b/images/img_b.png', H2, W2),
                (3, 'stage1_train/img_c/images/img_c.png', H1, W1),
            ]
    expected = [(i + 1, bbox, int(m.sum()), m)
                for i, k in enumerate(sorted(MASKS))
                for _, m, _, bbox in MASKS[k]]
    anns = coco['annotations']
    assert len(anns) == len(expected) == 6
    for idx, (ann, (image_id, bbox, area, m)) in enumerate(
            zip(anns, expected)):
        assert ann['id'] == idx + 1
        assert ann['image_id'] == image_id
        assert ann['category_id'] == 1
        assert ann['iscrowd'] == 0
        assert ann['bbox'] == bbox
        assert all(isinstance(v, float) for v in ann['bbox'])
        assert ann['area'] == area
        assert isinstance(ann['segmentation']['counts'], str)
        np.testing.assert_array_equal(decode(ann['segmentation']),
                                      m.astype(np.uint8))
    # hand-checked areas of the rectangles (0/1 mask m2 read as foreground)
    assert [a['area'] for a in anns if a['image_id'] == 1][0] == 4 * 7
    assert [a['area'] for a in anns if a['image_id'] == 1][2] == 5 * 2
    assert report['num_images'] == 3
    assert report['num_annotations'] == 6
    assert report['num_empty_masks'] == 0
    assert report['num_overlapping_pairs'] == 0
    assert report['num_images_without_nuclei'] == 0


# --------------------------------------------------------------------------
# CSV mode
# --------------------------------------------------------------------------
def test_rle_encoder_self_check():
    m = np.zeros((3, 2), dtype=bool)
    m[1:, 0] = True  # pixels 2, 3 (column-major, 1-indexed)
    m[0, 1] = True  # pixel 4
    m[2, 1] = True  # pixel 6
    assert rle_encode(m) == '2 3 6 1'


@pytest.mark.parametrize('size_cols', [False, True])
def test_csv_mode_matches_folder_mode(dsb, tmp_path, size_cols):
    # Rows of an image in mask-file-name order: the annotation lists of the
    # two routes must then be identical, in the same order.
    rows = []
    for k in sorted(MASKS):
        h, w, _ = SIZES[k]
        for _, m, _, _ in MASKS[k]:
            rows.append([k, rle_encode(m)] +
                        ([h, w, 'Public'] if size_cols else []))
    write_csv(dsb / 'stage1_train_labels.csv', rows, size_cols)
    folder_report, folder_out = run(dsb, out=tmp_path / 'folder')
    # delete the mask PNGs, so csv mode cannot read them
    for k in MASKS:
        for p in (dsb / 'stage1_train' / k / 'masks').iterdir():
            p.unlink()
    csv_report, csv_out = run(dsb, '--source', 'csv', out=tmp_path / 'csv')
    assert csv_report['num_annotations'] == 6
    for name in ('all', 'train', 'val', 'test'):
        a = load(folder_out / f'instances_{name}.json')
        b = load(csv_out / f'instances_{name}.json')
        assert a['images'] == b['images']
        assert len(a['annotations']) == len(b['annotations'])
        for x, y in zip(a['annotations'], b['annotations']):
            assert x['bbox'] == y['bbox']
            assert x['area'] == y['area']
            assert x['image_id'] == y['image_id']
            assert x['id'] == y['id']
            np.testing.assert_array_equal(decode(x['segmentation']),
                                          decode(y['segmentation']))


def test_csv_mode_shuffled_rows_same_set(dsb, tmp_path):
    # Rows interleaved across images and reversed within an image: the set
    # of (image, box, area, mask) must still be the folder one.
    rows = [[k, rle_encode(m)] for k in sorted(MASKS)
            for _, m, _, _ in MASKS[k]][::-1]
    rows = rows[1::2] + rows[0::2]
    csv_path = tmp_path / 'labels.csv'
    write_csv(csv_path, rows)
    _, folder_out = run(dsb, out=tmp_path / 'folder')
    _, csv_out = run(dsb, '--source', 'csv', '--csv', str(csv_path),
                     out=tmp_path / 'csv')

    def key_set(coco):
        return sorted((f, a['bbox'], a['area'],
                       decode(a['segmentation']).tobytes())
                      for f, a in anns_by_file(coco))

    a = load(folder_out / 'instances_all.json')
    b = load(csv_out / 'instances_all.json')
    assert key_set(a) == key_set(b)
    # csv mode keeps the CSV row order within an image
    b_img2 = [a_['bbox'] for a_ in b['annotations'] if a_['image_id'] == 2]
    assert b_img2 == [bb for *_, bb in MASKS['img_b']][::-1]


def test_csv_image_without_rows_is_negative(dsb, tmp_path):
    rows = [[k, rle_encode(m)] for k in ('img_a', 'img_b')
            for _, m, _, _ in MASKS[k]]
    write_csv(dsb / 'stage1_train_labels.csv', rows)
    report, out = run(dsb, '--source', 'csv')
    assert report['images_without_nuclei'] == ['img_c']
    coco = load(out / 'instances_all.json')
    assert len(coco['images']) == 3
    assert not [a for a in coco['annotations'] if a['image_id'] == 3]


@pytest.mark.parametrize('encoded,expect', [
    ('1 2 3', 'odd number of tokens'),
    ('1 x', 'non-integer'),
    ('1.5 2', 'non-integer'),
    (f'{H1 * W1} 2', 'past the end'),
    ('0 3', 'start >= 1'),
    ('10 5 12 2', 'overlaps'),
])
def test_csv_malformed_row_names_line(dsb, tmp_path, encoded, expect):
    csv_path = tmp_path / 'bad.csv'
    write_csv(csv_path, [['img_a', '1 3'], ['img_b', '5 2'],
                         ['img_c', encoded], ['img_a', '40 2']])
    out = tmp_path / 'out'
    with pytest.raises(tool.ConversionError) as exc:
        run(dsb, '--source', 'csv', '--csv', str(csv_path), out=out)
    msg = str(exc.value)
    assert f'{csv_path} line 4' in msg
    assert expect in msg
    assert not out.exists()


def test_csv_unknown_image_id_names_line(dsb, tmp_path):
    csv_path = tmp_path / 'bad.csv'
    write_csv(csv_path, [['img_a', '1 3'], ['nope', '1 3']])
    with pytest.raises(tool.ConversionError,
                       match=rf'line 3: unknown ImageId .nope.'):
        run(dsb, '--source', 'csv', '--csv', str(csv_path),
            out=tmp_path / 'out')
    assert not (tmp_path / 'out').exists()


def test_csv_missing_columns(dsb, tmp_path):
    csv_path = tmp_path / 'bad.csv'
    csv_path.write_text('ImageId,Pixels\nimg_a,1 3\n')
    with pytest.raises(tool.ConversionError, match='EncodedPixels'):
        run(dsb, '--source', 'csv', '--csv', str(csv_path),
            out=tmp_path / 'out')


def test_csv_size_columns_must_match_image(dsb, tmp_path):
    csv_path = tmp_path / 'bad.csv'
    write_csv(csv_path, [['img_a', '1 3', H1 + 1, W1, 'Public']],
              size_cols=True)
    with pytest.raises(tool.ConversionError, match='line 2'):
        run(dsb, '--source', 'csv', '--csv', str(csv_path),
            out=tmp_path / 'out')


# --------------------------------------------------------------------------
# Data problems
# --------------------------------------------------------------------------
def test_data_problems_reported(tmp_path):
    h, w = 20, 30
    yy, xx = np.mgrid[:h, :w]
    sq = (yy < 10) & (xx < 10)
    tri_a = sq & (yy + xx <= 8)  # upper-left triangle
    tri_c = sq & (yy + xx >= 10)  # lower-right: same box, no shared pixel
    b = rect(h, w, 0, 0, 2, 2)  # shares pixels with tri_a only
    far = rect(h, w, 15, 20, 18, 25)
    empty = np.zeros((h, w), dtype=bool)
    root = tmp_path / 'dsb'
    write_dataset(root, {
        'p1': (h, w, 4, [('a.png', tri_a, 255), ('b.png', b, 255),
                         ('c.png', tri_c, 255), ('d.png', empty, 255),
                         ('e.png', far, 255)]),
        'p2': (h, w, 4, None),  # no masks folder
        'p3': (h, w, 4, []),  # empty masks folder
        'p4': (h, w, 4, [('only_empty.png', empty, 255)]),
        'p5': (h, w, 3, [('x.png', far, 255), ('y.png', far, 1)]),
    })
    report, out = run(root)
    assert report['num_empty_masks'] == 2
    assert report['empty_masks'] == ['stage1_train/p1/masks/d.png',
                                     'stage1_train/p4/masks/only_empty.png']
    assert report['num_images_with_overlaps'] == 2
    assert report['num_overlapping_pairs'] == 2
    assert report['overlapping_pairs'] == [
        {'image': 'p1', 'masks': ['stage1_train/p1/masks/a.png',
                                  'stage1_train/p1/masks/b.png']},
        {'image': 'p5', 'masks': ['stage1_train/p5/masks/x.png',
                                  'stage1_train/p5/masks/y.png']},
    ]
    assert report['num_images_without_nuclei'] == 3
    assert report['images_without_nuclei'] == ['p2', 'p3', 'p4']
    coco = load(out / 'instances_all.json')
    # negative images kept; empty masks skipped; overlapping masks kept
    assert len(coco['images']) == 5
    per_image = {}
    for a in coco['annotations']:
        per_image.setdefault(a['image_id'], []).append(a)
    assert {k: len(v) for k, v in per_image.items()} == {1: 4, 5: 2}
    assert [a['area'] for a in per_image[1]] == [
        int(tri_a.sum()), 9, int(tri_c.sum()), int(far.sum())]
    assert per_image[5][0]['bbox'] == per_image[5][1]['bbox'] == [
        20., 15., 6., 4.]
    # counts stored in every output file
    for name in ('all', 'train', 'val', 'test'):
        info = load(out / f'instances_{name}.json')['info']
        assert info['split'] == name
        r = info['report']
        assert (r['num_empty_masks'], r['num_images_with_overlaps'],
                r['num_overlapping_pairs'],
                r['num_images_without_nuclei']) == (2, 2, 2, 3)


def test_report_printed_to_stderr(dsb, capsys):
    run(dsb)
    err = capsys.readouterr().err
    assert 'converted 3 images, 6 nuclei' in err


def test_mask_size_mismatch_names_file(dsb, tmp_path):
    bad = dsb / 'stage1_train/img_b/masks/k9.png'
    cv2.imwrite(str(bad), np.full((H2, W2 + 1), 255, np.uint8))
    out = tmp_path / 'out'
    with pytest.raises(tool.ConversionError, match='k9.png'):
        run(dsb, out=out)
    assert not out.exists()


@pytest.mark.parametrize('which', ['mask', 'image'])
def test_corrupt_png_names_file_and_writes_nothing(dsb, tmp_path, which):
    if which == 'mask':
        bad = dsb / 'stage1_train/img_b/masks/k1.png'
    else:
        bad = dsb / 'stage1_train/img_c/images/img_c.png'
    bad.write_bytes(b'\x89PNG\r\n\x1a\n this is not a png at all' * 3)
    out = tmp_path / 'out'
    out.mkdir()
    with pytest.raises(tool.ConversionError) as exc:
        run(dsb, out=out)
    assert str(bad) in str(exc.value)
    assert which in str(exc.value)
    assert os.listdir(out) == []


def test_missing_image_file(dsb, tmp_path):
    bad = dsb / 'stage1_train/img_a/images/img_a.png'
    bad.unlink()
    with pytest.raises(tool.ConversionError, match=re.escape(str(bad))):
        run(dsb, out=tmp_path / 'out')


def test_empty_input_fails(tmp_path):
    (tmp_path / 'dsb/stage1_train').mkdir(parents=True)
    with pytest.raises(tool.ConversionError, match='no images'):
        run(tmp_path / 'dsb')
    with pytest.raises(tool.ConversionError, match='stage1_train'):
        run(tmp_path / 'nothing_here')


@pytest.mark.slow
def test_cli_exit_code_and_message(dsb, tmp_path):
    bad = dsb / 'stage1_train/img_b/masks/k1.png'
    bad.write_bytes(b'garbage')
    out = tmp_path / 'out'
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), '--data-root', str(dsb), '--out-dir',
         str(out)], capture_output=True, text=True, cwd=str(tmp_path))
    assert proc.returncode != 0
    assert str(bad) in proc.stderr
    assert not out.exists()


# --------------------------------------------------------------------------
# Split
# --------------------------------------------------------------------------
def _many_images(root, n):
    spec = {}
    for i in range(n):
        m = rect(8, 8, i % 4, 0, 7, i % 5)
        spec[f'im{i:02d}'] = (8, 8, 4, [('m.png', m, 255)])
    write_dataset(root, spec)


def test_split_counts_disjoint_deterministic(tmp_path):
    root = tmp_path / 'dsb'
    _many_images(root, 10)
    report, out = run(root, '--seed', '3', out=tmp_path / 'a')
    assert report['splits'] == {'train': 8, 'val': 1, 'test': 1}
    parts = {s: load(out / f'instances_{s}.json') for s in
             ('train', 'val', 'test')}
    ids = {s: [im['id'] for im in c['images']] for s, c in parts.items()}
    assert [len(ids[s]) for s in ('train', 'val', 'test')] == [8, 1, 1]
    assert sorted(ids['train'] + ids['val'] + ids['test']) == list(
        range(1, 11))
    for s, c in parts.items():
        assert ids[s] == sorted(ids[s])
        assert {a['image_id'] for a in c['annotations']} == set(ids[s])
        assert c['categories'] == [{'id': 1, 'name': 'nucleus'}]
    # the documented rule: sorted ids permuted by default_rng(seed)
    perm = np.random.default_rng(3).permutation(np.arange(1, 11))
    assert ids['train'] == sorted(perm[:8].tolist())
    assert ids['val'] == [int(perm[8])]
    # annotation ids are those of instances_all
    all_anns = {a['id']: a for a in load(out / 'instances_all.json')[
        'annotations']}
    for c in parts.values():
        for a in c['annotations']:
            assert all_anns[a['id']] == a
    # same seed -> same files; another seed -> another split
    _, out_b = run(root, '--seed', '3', out=tmp_path / 'b')
    _, out_c = run(root, '--seed', '4', out=tmp_path / 'c')
    for s in ('train', 'val', 'test'):
        assert (out / f'instances_{s}.json').read_bytes() == (
            out_b / f'instances_{s}.json').read_bytes()
    ids_c = {s: [im['id'] for im in load(out_c / f'instances_{s}.json')
                 ['images']] for s in ('train', 'val', 'test')}
    assert ids_c != ids

def test_split_custom_ratios_and_bad_ratios(tmp_path):
    root = tmp_path / 'dsb'
    _many_images(root, 7)
    report, _ = run(root, '--ratios', '0.5', '0.25', '0.25')
    # round(3.5) = 4, round(1.75) = 2, rest 1
    assert report['splits'] == {'train': 4, 'val': 2, 'test': 1}
    with pytest.raises(tool.ConversionError, match='ratios'):
        run(root, '--ratios', '0.8', '0.1', '0.2', out=tmp_path / 'x')
    assert not (tmp_path / 'x').exists()
