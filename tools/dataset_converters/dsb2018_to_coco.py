"""Convert the Kaggle Data Science Bowl 2018 nuclei data to COCO json.

Input layout (the real Kaggle / BBBC038 one)::

    <data-root>/
        stage1_train/<ImageId>/images/<ImageId>.png   # 8-bit RGBA/RGB/grey
        stage1_train/<ImageId>/masks/<hash>.png       # one mask per nucleus
        stage1_train_labels.csv                       # optional, --source csv

Usage::

    # masks from the per-nucleus mask PNGs (default)
    python tools/dataset_converters/dsb2018_to_coco.py \\
        --data-root data/dsb2018

    # masks from the run-length encoded CSV instead
    python tools/dataset_converters/dsb2018_to_coco.py \\
        --data-root data/dsb2018 --source csv \\
        [--csv data/dsb2018/stage1_train_labels.csv]

Outputs, in ``--out-dir`` (default ``<data-root>/annotations``):

* ``instances_all.json``: every image of ``stage1_train``;
* ``instances_train.json``, ``instances_val.json``, ``instances_test.json``:
  a random image split (``--ratios``, default ``0.8 0.1 0.1``; ``--seed``,
  default 0). The image ids, sorted, are permuted with
  ``numpy.random.default_rng(seed)``; the first ``round(r_train * n)``
  (Python ``round``) go to train, the next ``round(r_val * n)`` to val, the
  rest to test.

COCO content: image ids are 1..n in sorted ``ImageId`` order, ``file_name``
is ``stage1_train/<ImageId>/images/<ImageId>.png`` (relative to the data
root); one category ``{id: 1, name: 'nucleus'}``; per nucleus an annotation
with ``bbox = [x, y, w, h]`` (``x``/``y`` the minimum column/row,
``w = xmax - xmin + 1``, ``h = ymax - ymin + 1``), ``area`` = mask pixel
count, ``segmentation`` = compressed COCO RLE and ``iscrowd = 0``.
Annotation ids are 1..N over all images and are the same in every split
file. Within an image, annotations follow the mask file names (sorted) in
folder mode and the CSV row order in csv mode; the two routes give the same
annotations when the CSV rows of an image are in mask-file-name order (and
the same set of annotations otherwise).

CSV format: header ``ImageId,EncodedPixels`` (optionally ``Height``,
``Width``, ``Usage`` as in the solution files). ``EncodedPixels`` holds
space-separated ``start length`` pairs, 1-indexed, pixels numbered
top-to-bottom then left-to-right (column-major). The image size comes from
``Height``/``Width`` when present (and must agree with the image), else from
the image itself. An image of ``stage1_train`` without CSV rows is an image
without nuclei.

Data problems of the public labels are detected and reported (on stderr, in
the report returned by :func:`main` and in the ``info`` field of every
output json), not assumed away:

* empty masks (no foreground pixel, or an empty ``EncodedPixels``) are
  skipped;
* overlapping masks (two masks of one image sharing pixels) are kept as
  they are; the number of images and of mask pairs is reported;
* images without nuclei are kept as negative images without annotations.

Mask pixels are foreground when nonzero (0/255 and 0/1 masks both work).
Hard errors (raised as :class:`ConversionError`, a ``ValueError``; the CLI
prints the message and exits with status 1) are: an unreadable or corrupt
PNG, a mask whose size differs from its image, a malformed CSV row (named by
file and line), a missing image, and an empty ``stage1_train``. Output files
are written only after everything was converted, all or none.
"""
import argparse
import csv
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_util

try:
    from mmssmd.utils.dsb_rle import rle_decode
    from mmssmd.utils.io import atomic_write_many
except ImportError:  # run from a source checkout without installing
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmssmd.utils.dsb_rle import rle_decode
    from mmssmd.utils.io import atomic_write_many

CATEGORIES = [{'id': 1, 'name': 'nucleus'}]
SPLITS = ('train', 'val', 'test')


class ConversionError(ValueError):
    """Raised for input the converter cannot turn into COCO json."""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse ``argv`` (without the program name; None: ``sys.argv``)."""
    parser = argparse.ArgumentParser(
        description='Convert Kaggle DSB 2018 stage1_train to COCO json.')
    parser.add_argument(
        '--data-root', required=True,
        help='directory that holds stage1_train/')
    parser.add_argument(
        '--source', choices=('folder', 'csv'), default='folder',
        help='read masks from stage1_train/<id>/masks/*.png (folder) or '
        'from the run-length encoded CSV (csv)')
    parser.add_argument(
        '--csv', default=None,
        help='CSV for --source csv '
        '(default: <data-root>/stage1_train_labels.csv)')
    parser.add_argument(
        '--out-dir', default=None,
        help='output directory (default: <data-root>/annotations)')
    parser.add_argument(
        '--ratios', type=float, nargs=3, default=[0.8, 0.1, 0.1],
        metavar=('TRAIN', 'VAL', 'TEST'),
        help='train/val/test fractions of the images, summing to 1')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the image split')
    parser.add_argument(
        '--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------
def read_png(path: str, what: str) -> np.ndarray:
    """Read a PNG unchanged (bit depth and channels kept).

    Args:
        path: File to read.
        what: ``'image'`` or ``'mask'``, used in the error message.

    Returns:
        The decoded array, ``(H, W)`` or ``(H, W, C)``.

    Raises:
        ConversionError: The file is missing, unreadable or corrupt.
    """
    if not osp.isfile(path):
        raise ConversionError(f'cannot read {what} {path}: no such file')
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise ConversionError(f'cannot read {what} {path}: {e}') from e
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None or img.size == 0:
        raise ConversionError(
            f'cannot read {what} {path}: not a readable image '
            '(corrupt or empty file)')
    return img


def mask_to_bool(mask: np.ndarray) -> np.ndarray:
    """Turn a decoded mask PNG into a boolean ``(H, W)`` array.

    Nonzero pixels are foreground. For a colour mask, a pixel is foreground
    when any colour channel is nonzero (an alpha channel is ignored).

    Args:
        mask: Decoded mask, ``(H, W)`` or ``(H, W, C)``.

    Returns:
        Boolean mask of shape ``(H, W)``.
    """
    if mask.ndim == 3:
        channels = mask[..., :3] if mask.shape[2] >= 3 else mask
        return np.any(channels != 0, axis=2)
    return mask != 0


def list_image_ids(data_root: str) -> List[str]:
    """List the ``ImageId`` folders of ``stage1_train``, sorted.

    Args:
        data_root: Directory holding ``stage1_train``.

    Returns:
        Sorted image ids.

    Raises:
        ConversionError: ``stage1_train`` is missing or holds no image.
    """
    train_dir = osp.join(data_root, 'stage1_train')
    if not osp.isdir(train_dir):
        raise ConversionError(f'no stage1_train directory in {data_root}')
    ids = sorted(d for d in os.listdir(train_dir)
                 if not d.startswith('.')
                 and osp.isdir(osp.join(train_dir, d)))
    if not ids:
        raise ConversionError(f'no images found in {train_dir}')
    return ids


def image_rel_path(image_id: str) -> str:
    """Path of an image relative to the data root."""
    return f'stage1_train/{image_id}/images/{image_id}.png'


def decode_rle(encoded: str, height: int, width: int,
               where: str) -> np.ndarray:
    """Decode a DSB run-length encoding (:func:`mmssmd.utils.rle_decode`).

    Args:
        encoded: The ``EncodedPixels`` string.
        height: Image height.
        width: Image width.
        where: ``'<csv file> line <n>'``, used in error messages.

    Returns:
        Boolean mask of shape ``(height, width)``.

    Raises:
        ConversionError: The encoding is malformed.
    """
    try:
        return rle_decode(encoded, height, width, where)
    except ValueError as e:
        raise ConversionError(str(e)) from None


def read_csv_rows(csv_path: str, known_ids: Sequence[str]
                  ) -> Tuple[Dict[str, List[Tuple[int, str]]],
                             Dict[str, Tuple[int, int, int]]]:
    """Read and group the rows of a DSB labels CSV.

    Args:
        csv_path: The CSV file.
        known_ids: Image ids present in ``stage1_train``.

    Returns:
        ``(rows, sizes)``: ``rows[image_id]`` is the list of
        ``(line number, EncodedPixels)`` in file order; ``sizes[image_id]`` is
        ``(height, width, line number)`` when the CSV has ``Height`` and
        ``Width`` columns.

    Raises:
        ConversionError: Missing file or columns, unknown ``ImageId``,
            bad or inconsistent ``Height``/``Width``.
    """
    if not osp.isfile(csv_path):
        raise ConversionError(f'CSV file {csv_path} not found')
    known = set(known_ids)
    rows: Dict[str, List[Tuple[int, str]]] = OrderedDict()
    sizes: Dict[str, Tuple[int, int, int]] = {}
    with open(csv_path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ConversionError(f'CSV file {csv_path} is empty')
        header = [h.strip() for h in header]
        for col in ('ImageId', 'EncodedPixels'):
            if col not in header:
                raise ConversionError(
                    f'{csv_path} line 1: header lacks column {col!r} '
                    f'(got {header})')
        col = {name: i for i, name in enumerate(header)}
        has_size = 'Height' in col and 'Width' in col
        for row in reader:
            line = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            where = f'{csv_path} line {line}'
            if len(row) != len(header):
                raise ConversionError(
                    f'{where}: expected {len(header)} fields, got {len(row)}')
            image_id = row[col['ImageId']].strip()
            if image_id not in known:
                raise ConversionError(
                    f'{where}: unknown ImageId {image_id!r} (not in '
                    'stage1_train)')
            if has_size:
                try:
                    h = int(row[col['Height']])
                    w = int(row[col['Width']])
                except ValueError:
                    raise ConversionError(
                        f'{where}: Height/Width are not integers') from None
                if h < 1 or w < 1:
                    raise ConversionError(
                        f'{where}: Height/Width must be positive')
                if image_id in sizes and sizes[image_id][:2] != (h, w):
                    raise ConversionError(
                        f'{where}: Height/Width {h}x{w} differ from '
                        f'{sizes[image_id][0]}x{sizes[image_id][1]} given '
                        f'for the same image on line {sizes[image_id][2]}')
                sizes.setdefault(image_id, (h, w, line))
            rows.setdefault(image_id, []).append(
                (line, row[col['EncodedPixels']]))
    return rows, sizes


# --------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------
def find_overlaps(boxes: np.ndarray, crops: List[np.ndarray]
                  ) -> List[Tuple[int, int]]:
    """Find pairs of masks that share at least one pixel.

    Args:
        boxes: ``(K, 4)`` int array of inclusive ``x1, y1, x2, y2``.
        crops: The masks cropped to their boxes.

    Returns:
        Index pairs ``(i, j)``, ``i < j``, of overlapping masks.
    """
    pairs: List[Tuple[int, int]] = []
    k = len(crops)
    if k < 2:
        return pairs
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    ix1 = np.maximum(x1[:, None], x1[None, :])
    iy1 = np.maximum(y1[:, None], y1[None, :])
    ix2 = np.minimum(x2[:, None], x2[None, :])
    iy2 = np.minimum(y2[:, None], y2[None, :])
    cand = (ix1 <= ix2) & (iy1 <= iy2)
    for i, j in zip(*np.nonzero(np.triu(cand, 1))):
        a = crops[i][iy1[i, j] - y1[i]:iy2[i, j] - y1[i] + 1,
                     ix1[i, j] - x1[i]:ix2[i, j] - x1[i] + 1]
        b = crops[j][iy1[i, j] - y1[j]:iy2[i, j] - y1[j] + 1,
                     ix1[i, j] - x1[j]:ix2[i, j] - x1[j] + 1]
        if np.any(a & b):
            pairs.append((int(i), int(j)))
    return pairs


def mask_to_annotation(mask: np.ndarray) -> Tuple[Dict[str, Any], np.ndarray,
                                                  np.ndarray]:
    """Build the COCO fields of one non-empty mask.

    Args:
        mask: Boolean ``(H, W)`` mask with at least one foreground pixel.

    Returns:
        ``(fields, box, crop)``: the ``bbox``/``area``/``segmentation``
        fields, the inclusive ``x1, y1, x2, y2`` box and the mask cropped to
        it.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    y1, y2 = int(rows[0]), int(rows[-1])
    x1, x2 = int(cols[0]), int(cols[-1])
    rle = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    fields = {
        'bbox': [float(x1), float(y1), float(x2 - x1 + 1), float(y2 - y1 + 1)],
        'area': int(mask.sum()),
        'segmentation': {'size': [int(s) for s in rle['size']],
                         'counts': rle['counts']},
    }
    crop = mask[y1:y2 + 1, x1:x2 + 1].copy()
    return fields, np.array([x1, y1, x2, y2]), crop


def iter_masks_folder(data_root: str, image_id: str, height: int,
                      width: int):
    """Yield ``(name, mask)`` for the mask PNGs of one image, by file name.

    Args:
        data_root: Directory holding ``stage1_train``.
        image_id: The image.
        height: Image height.
        width: Image width.

    Yields:
        The mask's path relative to the data root and its boolean mask.

    Raises:
        ConversionError: A mask is unreadable or its size differs from the
            image.
    """
    mask_dir = osp.join(data_root, 'stage1_train', image_id, 'masks')
    if not osp.isdir(mask_dir):
        return
    names = sorted(n for n in os.listdir(mask_dir)
                   if n.lower().endswith('.png') and not n.startswith('.'))
    for name in names:
        path = osp.join(mask_dir, name)
        mask = read_png(path, 'mask')
        if mask.shape[:2] != (height, width):
            raise ConversionError(
                f'mask {path} has size {mask.shape[1]}x{mask.shape[0]} '
                f'(WxH) but its image is {width}x{height}')
        yield f'stage1_train/{image_id}/masks/{name}', mask_to_bool(mask)


def iter_masks_csv(csv_path: str, rows: List[Tuple[int, str]], height: int,
                   width: int):
    """Yield ``(name, mask)`` for the CSV rows of one image, in file order.

    Args:
        csv_path: The CSV file (for names and errors).
        rows: ``(line number, EncodedPixels)`` of the image.
        height: Image height.
        width: Image width.

    Yields:
        ``'<csv> line <n>'`` and the decoded boolean mask.
    """
    for line, encoded in rows:
        where = f'{csv_path} line {line}'
        yield where, decode_rle(encoded, height, width, where)


def convert(data_root: str,
            source: str = 'folder',
            csv_path: Optional[str] = None,
            progress: bool = True) -> Tuple[List[Dict], List[Dict], Dict]:
    """Convert ``stage1_train`` to COCO images and annotations.

    Args:
        data_root: Directory holding ``stage1_train``.
        source: ``'folder'`` (mask PNGs) or ``'csv'`` (RLE CSV).
        csv_path: The CSV for ``source='csv'``.
        progress: Show a progress bar on stderr.

    Returns:
        ``(images, annotations, report)``; see :func:`main` for the report.

    Raises:
        ConversionError: On unreadable or inconsistent input.
    """
    image_ids = list_image_ids(data_root)
    csv_rows: Dict[str, List[Tuple[int, str]]] = {}
    csv_sizes: Dict[str, Tuple[int, int, int]] = {}
    if source == 'csv':
        if csv_path is None:
            csv_path = osp.join(data_root, 'stage1_train_labels.csv')
        csv_rows, csv_sizes = read_csv_rows(csv_path, image_ids)
    elif source != 'folder':
        raise ConversionError(f'unknown source {source!r}')

    images: List[Dict] = []
    annotations: List[Dict] = []
    empty_masks: List[str] = []
    overlaps: List[Dict[str, Any]] = []
    images_with_overlaps: List[str] = []
    no_nuclei: List[str] = []

    bar = None
    if progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(image_ids), file=sys.stderr)
    for img_idx, image_id in enumerate(image_ids, start=1):
        rel = image_rel_path(image_id)
        img = read_png(osp.join(data_root, rel), 'image')
        height, width = (int(s) for s in img.shape[:2])
        if image_id in csv_sizes:
            h, w, line = csv_sizes[image_id]
            if (h, w) != (height, width):
                raise ConversionError(
                    f'{csv_path} line {line}: Height/Width {h}x{w} differ '
                    f'from image {osp.join(data_root, rel)} '
                    f'({height}x{width})')
        images.append({'id': img_idx, 'file_name': rel,
                       'height': height, 'width': width})
        if source == 'folder':
            masks = iter_masks_folder(data_root, image_id, height, width)
        else:
            masks = iter_masks_csv(csv_path, csv_rows.get(image_id, []),
                                   height, width)
        names, boxes, crops = [], [], []
        for name, mask in masks:
            if not mask.any():
                empty_masks.append(name)
                continue
            fields, box, crop = mask_to_annotation(mask)
            annotations.append({
                'id': len(annotations) + 1,
                'image_id': img_idx,
                'category_id': 1,
                **fields,
                'iscrowd': 0,
            })
            names.append(name)
            boxes.append(box)
            crops.append(crop)
        if not names:
            no_nuclei.append(image_id)
        pairs = find_overlaps(np.array(boxes).reshape(-1, 4), crops)
        if pairs:
            images_with_overlaps.append(image_id)
            overlaps.extend({'image': image_id, 'masks': [names[i], names[j]]}
                            for i, j in pairs)
        if bar is not None:
            bar.update()
    if bar is not None:
        sys.stderr.write('\n')

    report = {
        'source': source,
        'num_images': len(images),
        'num_annotations': len(annotations),
        'num_empty_masks': len(empty_masks),
        'empty_masks': empty_masks,
        'num_images_with_overlaps': len(images_with_overlaps),
        'num_overlapping_pairs': len(overlaps),
        'overlapping_pairs': overlaps,
        'num_images_without_nuclei': len(no_nuclei),
        'images_without_nuclei': no_nuclei,
    }
    return images, annotations, report


def split_counts(n: int, ratios: Sequence[float]) -> Tuple[int, int, int]:
    """Number of train/val/test images.

    Args:
        n: Number of images.
        ratios: Train, val and test fractions (summing to 1).

    Returns:
        ``(round(r_train * n), round(r_val * n), rest)`` with Python's
        ``round``.

    Raises:
        ConversionError: Bad ratios.
    """
    if len(ratios) != 3 or any(r < 0 for r in ratios) or \
            abs(sum(ratios) - 1.0) > 1e-6:
        raise ConversionError(
            f'--ratios must be 3 non-negative numbers summing to 1, got '
            f'{list(ratios)}')
    n_train = int(round(ratios[0] * n))
    n_val = int(round(ratios[1] * n))
    n_test = n - n_train - n_val
    if n_test < 0:
        raise ConversionError(
            f'--ratios {list(ratios)} give {n_train} train + {n_val} val '
            f'images, more than the {n} images')
    return n_train, n_val, n_test


def split_images(n: int, ratios: Sequence[float],
                 seed: int) -> Dict[str, List[int]]:
    """Randomly split image ids ``1..n`` into train/val/test.

    Args:
        n: Number of images (ids ``1..n`` in sorted ``ImageId`` order).
        ratios: Train, val and test fractions.
        seed: Seed of ``numpy.random.default_rng``.

    Returns:
        Sorted image ids per split name.
    """
    n_train, n_val, _ = split_counts(n, ratios)
    perm = np.random.default_rng(seed).permutation(np.arange(1, n + 1))
    parts = {'train': perm[:n_train], 'val': perm[n_train:n_train + n_val],
             'test': perm[n_train + n_val:]}
    return {k: sorted(int(i) for i in v) for k, v in parts.items()}


def make_coco(images: List[Dict], annotations: List[Dict],
              keep_ids: Optional[set], info: Dict) -> Dict:
    """Assemble a COCO dict restricted to ``keep_ids`` (all if ``None``)."""
    if keep_ids is not None:
        images = [im for im in images if im['id'] in keep_ids]
        annotations = [a for a in annotations if a['image_id'] in keep_ids]
    return {'info': info, 'images': images, 'annotations': annotations,
            'categories': CATEGORIES}


def format_report(report: Dict) -> str:
    """Human-readable summary of a conversion report."""
    lines = [
        f'converted {report["num_images"]} images, '
        f'{report["num_annotations"]} nuclei (source: {report["source"]})',
    ]
    if report['num_empty_masks']:
        lines.append(f'{report["num_empty_masks"]} empty mask(s) skipped: '
                     + ', '.join(report['empty_masks'][:5])
                     + (' ...' if report['num_empty_masks'] > 5 else ''))
    if report['num_overlapping_pairs']:
        lines.append(
            f'{report["num_overlapping_pairs"]} overlapping mask pair(s) in '
            f'{report["num_images_with_overlaps"]} image(s), kept as they '
            'are')
    if report['num_images_without_nuclei']:
        lines.append(
            f'{report["num_images_without_nuclei"]} image(s) without nuclei, '
            'kept as negative images without annotations: '
            + ', '.join(report['images_without_nuclei'][:5])
            + (' ...' if report['num_images_without_nuclei'] > 5 else ''))
    if 'splits' in report:
        lines.append('split: ' + ', '.join(
            f'{k} {v}' for k, v in report['splits'].items()))
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Run the conversion.

    Args:
        argv: Command-line arguments without the program name.

    Returns:
        The report: ``source``, ``num_images``, ``num_annotations``,
        ``num_empty_masks`` / ``empty_masks`` (mask names: a path relative to
        the data root, or ``'<csv> line <n>'``), ``num_images_with_overlaps``,
        ``num_overlapping_pairs`` / ``overlapping_pairs`` (``{'image',
        'masks': [a, b]}``), ``num_images_without_nuclei`` /
        ``images_without_nuclei``, ``splits`` (images per split) and
        ``outputs`` (written files). The same report, without ``outputs``,
        is stored in every json's ``info['report']``.

    Raises:
        ConversionError: On bad input; nothing is written then.
    """
    args = parse_args(argv)
    data_root = args.data_root
    out_dir = args.out_dir or osp.join(data_root, 'annotations')
    csv_path = args.csv
    if args.source == 'csv' and csv_path is None:
        csv_path = osp.join(data_root, 'stage1_train_labels.csv')
    # Check the ratios before the (slow) conversion.
    split_counts(1000, args.ratios)

    images, annotations, report = convert(
        data_root, args.source, csv_path, progress=not args.no_progress)
    splits = split_images(len(images), args.ratios, args.seed)
    report['splits'] = {k: len(v) for k, v in splits.items()}

    base_info = {
        'description': 'Kaggle Data Science Bowl 2018 stage1_train nuclei, '
        'converted by mmssmd tools/dataset_converters/dsb2018_to_coco.py',
        'source': args.source,
        'seed': args.seed,
        'ratios': list(args.ratios),
        'report': report,
    }
    outputs = {
        osp.join(out_dir, 'instances_all.json'):
        make_coco(images, annotations, None, {**base_info, 'split': 'all'}),
    }
    for name in SPLITS:
        outputs[osp.join(out_dir, f'instances_{name}.json')] = make_coco(
            images, annotations, set(splits[name]),
            {**base_info, 'split': name})
    atomic_write_many(outputs)

    sys.stderr.write(format_report(report) + '\n')
    sys.stderr.write(f'wrote {len(outputs)} files to {out_dir}\n')
    return {**report, 'outputs': sorted(outputs)}


if __name__ == '__main__':
    try:
        main()
    except ConversionError as e:
        sys.exit(f'error: {e}')  # on stderr, exit status 1
