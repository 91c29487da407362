"""Tests of tools/misc/split_semi.py."""
import importlib.util
import json
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / 'tools/misc/split_semi.py'


def _load_tool():
    spec = importlib.util.spec_from_file_location('split_semi', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()

N = 40
CATEGORIES = [{'id': 1, 'name': 'nucleus'}]


def make_coco(n=N):
    # non-contiguous image ids, 0..3 annotations per image
    images = [{'id': 100 + 3 * i, 'file_name': f'im{i}.png', 'height': 8,
               'width': 8} for i in range(n)]
    anns = []
    for i, im in enumerate(images):
        for _ in range(i % 4):
            anns.append({'id': 1000 + len(anns), 'image_id': im['id'],
                         'category_id': 1, 'bbox': [0., 0., 2., 2.],
                         'area': 4, 'iscrowd': 0})
    return {'info': {'description': 'fixture'}, 'licenses': [{'id': 7}],
            'images': images, 'annotations': anns, 'categories': CATEGORIES}


@pytest.fixture
def ann_file(tmp_path):
    path = tmp_path / 'instances_train.json'
    path.write_text(json.dumps(make_coco()))
    return path


def run(ann_file, out, *extra):
    return tool.main(['--ann-file', str(ann_file), '--out-dir', str(out),
                      *extra])


def load(path):
    with open(path) as f:
        return json.load(f)


def ids(coco):
    return [im['id'] for im in coco['images']]


def test_format_percent():
    assert tool.format_percent(10) == '10'
    assert tool.format_percent(10.0) == '10'
    assert tool.format_percent(12.5) == '12.5'
    assert tool.format_percent(0.1) == '0.1'


# percent -> expected labeled count for N = 40 images
# 14% -> 5.6 rounds up to 6 (truncation would give 5);
# 11% -> 4.4 rounds down; 37.5% -> 15 exactly.
EXPECTED = {'10': 4, '12.5': 5, '14': 6, '11': 4, '37.5': 15, '50': 20}


def test_counts_disjoint_cover(ann_file, tmp_path, capsys):
    out = tmp_path / 'semi'
    rows = run(ann_file, out, '--percents', '10', '12.5', '14', '11', '37.5',
               '50', '--folds', '1', '2', '--seed', '0')
    expected_files = sorted(
        f'instances_train.{f}@{p}{s}.json' for f in (1, 2) for p in EXPECTED
        for s in ('', '-unlabeled'))
    assert sorted(os.listdir(out)) == expected_files
    assert len(rows) == len(expected_files)
    full = make_coco()
    all_ids = ids(full)
    anns_of = {}
    for a in full['annotations']:
        anns_of.setdefault(a['image_id'], []).append(a)
    for fold in (1, 2):
        for p, k in EXPECTED.items():
            lab = load(out / f'instances_train.{fold}@{p}.json')
            unl = load(out / f'instances_train.{fold}@{p}-unlabeled.json')
            assert len(lab['images']) == k
            assert len(unl['images']) == N - k
            assert not set(ids(lab)) & set(ids(unl))
            assert sorted(ids(lab) + ids(unl)) == sorted(all_ids)
            # input order kept
            assert ids(lab) == [i for i in all_ids if i in set(ids(lab))]
            for part in (lab, unl):
                assert part['categories'] == CATEGORIES
                assert part['info'] == {'description': 'fixture'}
                assert part['licenses'] == [{'id': 7}]
                # each part keeps the annotations of its own images, as is
                assert part['annotations'] == [
                    a for a in full['annotations']
                    if a['image_id'] in set(ids(part))]
            assert len(lab['annotations']) + len(unl['annotations']) == len(
                full['annotations'])
    # summary table
    printed = capsys.readouterr().out
    assert re.search(r'instances_train\.1@12\.5\.json\s+5\s+\d+', printed)
    assert re.search(r'instances_train\.2@14-unlabeled\.json\s+34\s+\d+',
                     printed)


def test_deterministic_and_folds_differ(ann_file, tmp_path):
    args = ('--percents', '25', '--folds', '1', '2', '--seed', '5')
    run(ann_file, tmp_path / 'a', *args)
    run(ann_file, tmp_path / 'b', *args)
    for f in os.listdir(tmp_path / 'a'):
        assert (tmp_path / 'a' / f).read_bytes() == (tmp_path / 'b' /
                                                     f).read_bytes()
    f1 = ids(load(tmp_path / 'a/instances_train.1@25.json'))
    f2 = ids(load(tmp_path / 'a/instances_train.2@25.json'))
    assert f1 != f2
    # a fold alone gives the same split as in a multi-fold run
    run(ann_file, tmp_path / 'c', '--percents', '25', '--folds', '2',
        '--seed', '5')
    assert ids(load(tmp_path / 'c/instances_train.2@25.json')) == f2
    # another seed, another split
    run(ann_file, tmp_path / 'd', '--percents', '25', '--folds', '1',
        '--seed', '6')
    assert ids(load(tmp_path / 'd/instances_train.1@25.json')) != f1


def test_without_replacement_and_nested(ann_file, tmp_path):
    run(ann_file, tmp_path, '--percents', '10', '30', '90', '--folds', '3')
    l10 = ids(load(tmp_path / 'instances_train.3@10.json'))
    l30 = ids(load(tmp_path / 'instances_train.3@30.json'))
    l90 = ids(load(tmp_path / 'instances_train.3@90.json'))
    assert len(set(l90)) == len(l90) == 36
    assert set(l10) < set(l30) < set(l90)


@pytest.mark.parametrize('bad', ['0', '100', '-5', '150', '1', '99'])
def test_invalid_percent_errors_and_writes_nothing(ann_file, tmp_path, bad):
    out = tmp_path / 'semi'
    # a valid percent in the same run must not be written either
    with pytest.raises(tool.SplitError) as exc:
        run(ann_file, out, '--percents', '10', bad)
    msg = str(exc.value)
    assert f'percent {bad}' in msg
    assert f'{N} images' in msg
    assert not out.exists()


def test_no_images_and_missing_file(tmp_path):
    empty = tmp_path / 'empty.json'
    coco = make_coco()
    coco['images'] = []
    coco['annotations'] = []
    empty.write_text(json.dumps(coco))
    with pytest.raises(tool.SplitError, match='has no images'):
        run(empty, tmp_path / 'o1')
    missing = tmp_path / 'missing.json'
    with pytest.raises(tool.SplitError, match=re.escape(str(missing))):
        run(missing, tmp_path / 'o2')
    assert not (tmp_path / 'o1').exists()
    assert not (tmp_path / 'o2').exists()


def test_default_out_dir(ann_file):
    run_args = ['--ann-file', str(ann_file), '--percents', '50']
    tool.main(run_args)
    semi = ann_file.parent / 'semi'
    assert sorted(os.listdir(semi)) == [
        'instances_train.1@50-unlabeled.json', 'instances_train.1@50.json'
    ]


def test_atomic_write_many_all_or_nothing(tmp_path):
    from mmssmd.utils.io import atomic_write_json, atomic_write_many
    out = tmp_path / 'new' / 'dir'
    good = out / 'a.json'
    # the second object is not JSON-serialisable: nothing may be left behind,
    # neither the first file, nor temporary files, nor the new directories
    with pytest.raises(TypeError):
        atomic_write_many({good: {'x': 1}, out / 'b.json': {'y': object()}})
    assert not (tmp_path / 'new').exists()
    # an existing destination is kept unchanged on failure
    tmp_path.joinpath('keep.json').write_text('{"old": 1}')
    with pytest.raises(TypeError):
        atomic_write_many({tmp_path / 'keep.json': {'new': 1},
                           tmp_path / 'c.json': {1, 2}})
    assert load(tmp_path / 'keep.json') == {'old': 1}
    assert sorted(os.listdir(tmp_path)) == ['keep.json']
    atomic_write_many({good: [1], out / 'b.json': {'y': 2}})
    assert load(good) == [1] and load(out / 'b.json') == {'y': 2}
    atomic_write_json({'z': 3}, good)
    assert load(good) == {'z': 3}
    assert sorted(os.listdir(out)) == ['a.json', 'b.json']
