"""Tests of the synthetic DSB 2018 nuclei generator
(mmssmd/testing/synthetic_dsb/ and its CLI)."""
import csv
import hashlib
import os
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

import mmssmd.testing as sn
from mmssmd.testing import generate_synthetic_dsb
from mmssmd.testing.synthetic_dsb import writer
from mmssmd.utils.dsb_rle import rle_encode

HEX64 = re.compile(r'^[0-9a-f]{64}$')
SMALL = dict(num_images=6, image_size=(256, 256), num_nuclei_range=(15, 40),
             show_progress=False)


def _generate(out_dir, seed=0, **kwargs):
    params = dict(SMALL)
    params.update(kwargs)
    return generate_synthetic_dsb(str(out_dir), seed=seed, **params)


def _tree(root: Path):
    """{relative path: sha256 of bytes} of every file under ``root``."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


def _decode_rle(rle: str, height: int, width: int) -> np.ndarray:
    """Independent decoder of the Kaggle RLE (1-indexed, column-major)."""
    nums = [int(v) for v in rle.split()]
    assert len(nums) % 2 == 0 and nums, rle[:50]
    flat = np.zeros(height * width, dtype=bool)
    prev_end = 0
    for start, length in zip(nums[0::2], nums[1::2]):
        assert length >= 1
        assert start > prev_end, 'runs must be sorted and disjoint'
        prev_end = start - 1 + length
        assert prev_end <= height * width
        flat[start - 1:start - 1 + length] = True
    # pixel k (0-based) is row k % H, column k // H
    return flat.reshape(width, height).T


def _read_csv(root: Path):
    with open(root / 'stage1_train_labels.csv', newline='') as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    return header, rows


def _load(root: Path):
    """{image_id: (grey image (H, W), masks (N, H, W) bool)} from disk."""
    out = {}
    for image_dir in sorted((root / 'stage1_train').iterdir()):
        iid = image_dir.name
        img = cv2.imread(str(image_dir / 'images' / f'{iid}.png'),
                         cv2.IMREAD_UNCHANGED)
        masks = [
            cv2.imread(str(p), cv2.IMREAD_UNCHANGED) > 0
            for p in sorted((image_dir / 'masks').iterdir())
        ]
        h, w = img.shape[:2]
        out[iid] = (img[..., 0], np.array(masks).reshape(-1, h, w))
    return out


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('syn') / 'dsb'
    summary = _generate(root)
    return root, summary


def test_layout_and_png_format(dataset):
    root, summary = dataset
    assert sorted(os.listdir(root)) == [
        'stage1_train', 'stage1_train_labels.csv', 'synthetic_dsb_meta.json'
    ]
    image_dirs = sorted((root / 'stage1_train').iterdir())
    assert len(image_dirs) == summary['num_images'] == 6
    n_masks = 0
    for image_dir in image_dirs:
        iid = image_dir.name
        assert HEX64.match(iid)
        assert sorted(os.listdir(image_dir)) == ['images', 'masks']
        assert os.listdir(image_dir / 'images') == [f'{iid}.png']
        img = cv2.imread(str(image_dir / 'images' / f'{iid}.png'),
                         cv2.IMREAD_UNCHANGED)
        assert img.dtype == np.uint8 and img.shape == (256, 256, 4)
        assert (img[..., 0] == img[..., 1]).all()
        assert (img[..., 0] == img[..., 2]).all()
        assert (img[..., 3] == 255).all()
        for mask_path in (image_dir / 'masks').iterdir():
            assert HEX64.match(mask_path.stem) and mask_path.suffix == '.png'
            mask = cv2.imread(str(mask_path), cv2.IMREAD_UNCHANGED)
            assert mask.dtype == np.uint8 and mask.shape == (256, 256)
            assert set(np.unique(mask).tolist()) == {0, 255}
            n_masks += 1
    assert n_masks == summary['num_nuclei'] > 0
    header, rows = _read_csv(root)
    assert header == ['ImageId', 'EncodedPixels']
    assert len(rows) == n_masks


def test_csv_rle_decodes_to_mask_files(dataset):
    root, _ = dataset
    _, rows = _read_csv(root)
    data = _load(root)
    by_image = {}
    for iid, rle in rows:
        by_image.setdefault(iid, []).append(rle)
    assert set(by_image) <= set(data)
    for iid, (img, masks) in data.items():
        h, w = img.shape
        decoded = [_decode_rle(r, h, w) for r in by_image.get(iid, [])]
        assert len(decoded) == len(masks)
        # every CSV row equals exactly one mask file (as pixel sets)
        file_keys = sorted(m.tobytes() for m in masks)
        csv_keys = sorted(m.tobytes() for m in decoded)
        assert file_keys == csv_keys


def test_rle_encode_matches_independent_decoder():
    rng = np.random.default_rng(0)
    for h, w in [(5, 7), (32, 16)]:
        mask = rng.random((h, w)) < 0.4
        mask[0, 0] = mask[-1, -1] = True  # runs at both ends
        assert (_decode_rle(rle_encode(mask), h, w) == mask).all()
    assert rle_encode(np.zeros((4, 4), bool)) == ''
    col = np.zeros((3, 2), bool)
    col[:, 1] = True  # the second column = pixels 4..6 (1-indexed)
    assert rle_encode(col) == '4 3'


def test_same_seed_is_byte_identical_for_any_workers(dataset, tmp_path):
    # the forked workers must not use OpenCV: its thread pool, once started
    # in the parent, deadlocks in a forked child
    import mmssmd.testing.synthetic_dsb.image_model as image_model
    for module in (writer, image_model):
        assert not hasattr(module, 'cv2')
    cv2.GaussianBlur(np.zeros((512, 512), np.float32), (0, 0), 3)
    root, summary = dataset
    again = _generate(tmp_path / 'again', workers=2)
    assert _tree(root) == _tree(tmp_path / 'again')
    summary = dict(summary)
    for s in (summary, again):
        s.pop('elapsed_s')
        s.pop('out_dir')
    assert summary == again


def test_different_seed_differs(dataset, tmp_path):
    root, _ = dataset
    _generate(tmp_path / 'other', seed=1)
    a, b = _load(root), _load(tmp_path / 'other')
    assert not set(a) & set(b)
    first_a, first_b = next(iter(a.values()))[0], next(iter(b.values()))[0]
    assert not np.array_equal(first_a, first_b)


def test_content_is_plausible(dataset):
    root, summary = dataset
    inside, outside, areas = [], [], []
    adjacent_pairs = 0
    kernel = np.ones((3, 3), np.uint8)
    for img, masks in _load(root).values():
        assert len(masks) > 0
        fg = masks.any(0)
        inside.append(img[fg].mean())
        outside.append(img[~fg].mean())
        areas += masks.sum((1, 2)).tolist()
        for i in range(len(masks)):
            grown = cv2.dilate(masks[i].astype(np.uint8), kernel).astype(bool)
            adjacent_pairs += int(
                sum((grown & masks[j]).any() for j in range(i + 1,
                                                            len(masks))))
    # nuclei are clearly brighter than the background in every image
    assert all(i > o + 20 for i, o in zip(inside, outside))
    areas = np.array(areas)
    assert areas.min() >= 12
    assert areas.max() > 4 * areas.min()  # sizes vary
    assert np.percentile(areas, 90) > 1.5 * np.percentile(areas, 10)
    assert adjacent_pairs > 0  # touching or overlapping nuclei exist
    assert summary['num_touching_pairs'] == adjacent_pairs
    assert summary['num_visible_overlap_pairs'] > 0


def _mask_overlap_pairs(root):
    count = 0
    for _, masks in _load(root).values():
        flat = masks.reshape(len(masks), -1).astype(np.int32)
        inter = flat @ flat.T
        count += int(np.triu(inter, 1).astype(bool).sum())
    return count


def test_mask_overlap_option(tmp_path):
    none = _generate(tmp_path / 'none', mask_overlap_prob=0.0)
    assert none['num_mask_overlap_pairs'] == 0
    assert _mask_overlap_pairs(tmp_path / 'none') == 0
    many = _generate(tmp_path / 'many', mask_overlap_prob=1.0,
                     overlap_prob=1.0)
    assert many['num_mask_overlap_pairs'] > 0
    assert _mask_overlap_pairs(tmp_path / 'many') == \
        many['num_mask_overlap_pairs']


def test_empty_images_and_sizes(tmp_path):
    summary = _generate(tmp_path / 'empty', num_images=3, empty_fraction=1.0)
    assert summary['num_nuclei'] == 0 and summary['num_empty_images'] == 3
    _, rows = _read_csv(tmp_path / 'empty')
    assert rows == []
    for image_dir in (tmp_path / 'empty' / 'stage1_train').iterdir():
        assert os.listdir(image_dir / 'masks') == []

    sizes = [(256, 256), (256, 320), (360, 360)]
    summary = _generate(tmp_path / 'sizes', num_images=12, image_sizes=sizes)
    shapes = {img.shape for img, _ in _load(tmp_path / 'sizes').values()}
    assert shapes <= set(sizes) and len(shapes) > 1
    assert sum(summary['image_sizes'].values()) == 12


def test_refuses_overwrite_and_leaves_no_partial_output(tmp_path,
                                                        monkeypatch):
    out = tmp_path / 'out'
    _generate(out, num_images=2)
    before = _tree(out)
    with pytest.raises(FileExistsError):
        _generate(out, num_images=2, seed=5)
    assert _tree(out) == before
    _generate(out, num_images=2, seed=5, overwrite=True)
    assert _tree(out) != before
    assert len(os.listdir(out / 'stage1_train')) == 2

    calls = []

    def failing_write(sample, train_dir):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError('simulated crash')
        return real_write(sample, train_dir)

    real_write = writer.write_sample
    monkeypatch.setattr(writer, 'write_sample', failing_write)
    with pytest.raises(RuntimeError, match='simulated crash'):
        _generate(tmp_path / 'crash', num_images=3)
    assert sorted(os.listdir(tmp_path)) == ['out']  # no dataset, no tmp dir


def test_cli(tmp_path):
    from conftest import load_tool
    tool = load_tool('misc/generate_synthetic_dsb.py')
    args = tool.parse_args(['--out-dir', 'x'])
    assert (args.num_images, args.seed, args.size, args.workers) == \
        (200, 0, [256, 256], 1)
    summary = tool.main([
        '--out-dir', str(tmp_path / 'cli'), '--num-images', '2', '--seed',
        '3', '--size', '128', '160', '--no-progress'
    ])
    assert summary['num_images'] == 2
    assert summary['image_sizes'] == {'128x160': 2}
    assert len(os.listdir(tmp_path / 'cli' / 'stage1_train')) == 2
    with pytest.raises(SystemExit):
        tool.main(['--out-dir', str(tmp_path / 'cli'), '--no-progress'])


def test_png_files_hold_the_sample_pixels(dataset):
    """The written PNGs decode to the rendered image (RGBA, R=G=B) and masks
    (0/255), in mask order."""
    root, _ = dataset
    for index in (0, 1):
        sample = sn.synthesize_nuclei_image(0, index, sn.SyntheticNucleiConfig(
            num_nuclei_range=SMALL['num_nuclei_range']))
        image_dir = root / 'stage1_train' / sample.image_id
        img = cv2.imread(str(image_dir / 'images' / f'{sample.image_id}.png'),
                         cv2.IMREAD_UNCHANGED)
        for c in range(3):
            assert (img[..., c] == sample.image).all()
        for k, mask in enumerate(sample.masks):
            name = f'{writer.mask_id(sample.image_id, k)}.png'
            dec = cv2.imread(str(image_dir / 'masks' / name),
                             cv2.IMREAD_UNCHANGED)
            assert (dec == mask.astype(np.uint8) * 255).all()


@pytest.mark.slow
def test_import_needs_no_registry():
    """``mmssmd.testing``'s own modules import neither torch nor mmdet, and
    the registry package ``mmssmd.datasets`` no longer holds the generator."""
    import mmssmd.datasets
    assert not hasattr(mmssmd.datasets, 'generate_synthetic_dsb')
    import subprocess
    import sys
    code = ('import sys, importlib.util as u, types\n'
            'import os\n'
            'root = os.getcwd()\n'
            # load the subpackage without running mmssmd/__init__.py
            "pkg = types.ModuleType('mmssmd'); pkg.__path__ = [root + "
            "'/mmssmd']; sys.modules['mmssmd'] = pkg\n"
            "utils = types.ModuleType('mmssmd.utils'); utils.__path__ = ["
            "root + '/mmssmd/utils']; sys.modules['mmssmd.utils'] = utils\n"
            'import mmssmd.testing\n'
            "bad = [m for m in ('torch', 'mmdet', 'mmengine.registry', 'cv2')"
            ' if m in sys.modules]\n'
            'assert not bad, bad\n')
    from conftest import REPO_ROOT
    subprocess.run([sys.executable, '-c', code], cwd=REPO_ROOT, check=True)


def test_styles_and_debris_change_the_rendering_only():
    """Styles and debris are drawn from their own random stream: the nuclei
    (masks) are those of the default set, the default images are unchanged,
    and each style renders as described (bright nuclei on dark, dark on
    bright, coloured H&E-like)."""
    mixed = sn.SyntheticNucleiConfig(
        styles=('fluorescence', 'brightfield', 'histology'),
        debris_range=(10, 20))
    seen = set()
    for index in range(12):
        plain = sn.synthesize_nuclei_image(3, index)
        styled = sn.synthesize_nuclei_image(3, index, mixed)
        assert np.array_equal(plain.masks, styled.masks)
        if len(plain.masks) == 0:
            continue
        fg = plain.masks.any(0)
        img = styled.image.astype(np.float32)
        if img.ndim == 3:  # histology: purple nuclei on pinkish tissue
            seen.add('histology')
            assert img.shape[2] == 3
            assert img[fg].mean() < img[~fg].mean()
            assert img[~fg][:, 1].mean() < img[~fg][:, 0].mean()  # G < R
            continue
        style = 'fluorescence' if img[~fg].mean() < 100 else 'brightfield'
        seen.add(style)
        if style == 'fluorescence':
            assert img[fg].mean() > img[~fg].mean()
        else:
            assert img[fg].mean() < img[~fg].mean()
    assert seen == {'fluorescence', 'brightfield', 'histology'}
    # the default (one style, no debris) renders byte for byte as before
    # the options existed (hashes taken with the generator of that time)
    for index, digest in ((0, '3c0fcf934b2cc358'), (1, '1101eab311ddcf1d')):
        image = sn.synthesize_nuclei_image(3, index).image
        assert hashlib.sha256(image.tobytes()).hexdigest()[:16] == digest
    with pytest.raises(ValueError, match='styles'):
        sn.SyntheticNucleiConfig(styles=('sepia', ))
    with pytest.raises(ValueError, match='debris'):
        sn.SyntheticNucleiConfig(debris_range=(5, 2))
