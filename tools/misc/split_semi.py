"""Split a COCO annotation file into labeled / unlabeled parts.

Usage::

    python tools/misc/split_semi.py \\
        --ann-file data/dsb2018/annotations/instances_train.json \\
        --out-dir data/dsb2018/annotations/semi \\
        --percents 10 20 30 40 50 --folds 1 2 --seed 0

For every fold ``f`` and percent ``p`` (any number in ``(0, 100)``, e.g.
``12.5``) two files are written to ``--out-dir`` (default: ``semi/`` next to
the annotation file), ``name`` being the stem of the annotation file:

* ``<name>.<f>@<p>.json``: the labeled images, exactly
  ``round(n * p / 100)`` of the ``n`` images (Python ``round``), sampled
  without replacement (mmdet's ``tools/misc/split_coco.py`` samples with
  replacement, so its labeled sets are smaller than asked);
* ``<name>.<f>@<p>-unlabeled.json``: all the other images.

``p`` is written without a trailing ``.0`` (``10`` -> ``10``, ``12.5`` ->
``12.5``). The two files of a pair are disjoint and together hold every
image. Both keep ``categories`` (and ``info`` / ``licenses`` when present)
and the annotations of their own images, with unchanged ids. The unlabeled
file therefore still holds ground truth: the unlabeled dataset of a
semi-supervised config must ignore it (it only reads the images), which is
what mmdet's semi-supervised pipelines do.

Sampling is deterministic for a ``(seed, fold)`` pair: the images are
permuted with ``numpy.random.default_rng([seed, fold])`` and the labeled set
of percent ``p`` is the first ``round(n * p / 100)`` images of that
permutation, so within a fold the labeled sets are nested (the 10% set is
part of the 20% set). Images keep the order of the input file.

Errors (a percent outside ``(0, 100)`` or one giving an empty labeled or
unlabeled part, an annotation file that is missing, unreadable, has no
images or no categories, an image without ``id`` or an annotation of an
image that is not in the file) are raised as :class:`SplitError`; the CLI
prints the message and exits with status 1. All files of a run are
written at the end, all or none.
"""
import argparse
import json
import os.path as osp
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

try:
    from mmssmd.utils.io import atomic_write_many
except ImportError:  # run from a source checkout without installing
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmssmd.utils.io import atomic_write_many

KEEP_KEYS = ('info', 'licenses', 'categories')


class SplitError(ValueError):
    """Raised for an annotation file or percent that cannot be split."""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse ``argv`` (without the program name; None: ``sys.argv``)."""
    parser = argparse.ArgumentParser(
        description='Split a COCO json into labeled and unlabeled parts.')
    parser.add_argument('--ann-file', required=True,
                        help='COCO annotation file to split')
    parser.add_argument('--out-dir', default=None,
                        help='output directory (default: semi/ next to '
                        '--ann-file)')
    parser.add_argument('--percents', type=float, nargs='+',
                        default=[10.0, 20.0, 30.0, 40.0, 50.0],
                        help='labeled percentages, each in (0, 100)')
    parser.add_argument('--folds', type=int, nargs='+', default=[1],
                        help='fold numbers (each a different random split)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    return parser.parse_args(argv)


def format_percent(percent: float) -> str:
    """Format a percent for a file name: ``10.0 -> '10'``, ``12.5 -> '12.5'``.

    Args:
        percent: The percent.

    Returns:
        Its shortest exact text, without a trailing ``.0``.
    """
    percent = float(percent)
    if percent.is_integer():
        return str(int(percent))
    return repr(percent)


def labeled_count(n: int, percent: float) -> int:
    """Number of labeled images for a percent, checked.

    Args:
        n: Number of images.
        percent: Labeled percentage.

    Returns:
        ``round(n * percent / 100)``.

    Raises:
        SplitError: The percent is not in ``(0, 100)`` or leaves the labeled
            or the unlabeled part empty.
    """
    if not 0 < percent < 100:
        raise SplitError(
            f'percent {format_percent(percent)} is not in (0, 100) '
            f'(n = {n} images)')
    k = int(round(n * percent / 100))
    if k == 0 or k == n:
        part = 'labeled' if k == 0 else 'unlabeled'
        raise SplitError(
            f'percent {format_percent(percent)} of n = {n} images gives '
            f'{k} labeled and {n - k} unlabeled images: the {part} part '
            'would be empty')
    return k


def load_ann(ann_file: str) -> Dict[str, Any]:
    """Load and check a COCO annotation file.

    Args:
        ann_file: Path of the json.

    Returns:
        The loaded dict.

    Raises:
        SplitError: Missing, unreadable or image-less file.
    """
    if not osp.isfile(ann_file):
        raise SplitError(f'annotation file {ann_file} not found')
    try:
        with open(ann_file, encoding='utf-8') as f:
            ann = json.load(f)
    except (OSError, ValueError) as e:
        raise SplitError(f'cannot read annotation file {ann_file}: {e}') \
            from e
    if not isinstance(ann, dict) or not ann.get('images'):
        raise SplitError(f'annotation file {ann_file} has no images')
    if not ann.get('categories'):
        raise SplitError(
            f'annotation file {ann_file} has no categories; both split '
            'files must carry them (the datasets check them against their '
            'classes)')
    for i, im in enumerate(ann['images']):
        if not isinstance(im, dict) or 'id' not in im:
            raise SplitError(
                f'annotation file {ann_file}: images[{i}] has no "id"')
    ids = {im['id'] for im in ann['images']}
    for i, a in enumerate(ann.get('annotations') or []):
        if not isinstance(a, dict) or a.get('image_id') not in ids:
            raise SplitError(
                f'annotation file {ann_file}: annotations[{i}] refers to '
                f'image_id {a.get("image_id") if isinstance(a, dict) else a!r}'
                ', which is not in "images"')
    return ann


def split_one(ann: Dict[str, Any], k: int,
              perm: np.ndarray) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Build the labeled and unlabeled dicts for one percent.

    Args:
        ann: The full COCO dict.
        k: Number of labeled images.
        perm: A permutation of image indices; the first ``k`` are labeled.

    Returns:
        ``(labeled, unlabeled)`` COCO dicts.
    """
    images = ann['images']
    labeled_idx = set(perm[:k].tolist())
    labeled_ids = {images[i]['id'] for i in labeled_idx}
    parts = []
    for is_labeled in (True, False):
        part = {key: ann[key] for key in KEEP_KEYS if key in ann}
        part['images'] = [im for i, im in enumerate(images)
                          if (i in labeled_idx) == is_labeled]
        part['annotations'] = [
            a for a in ann.get('annotations', [])
            if (a['image_id'] in labeled_ids) == is_labeled]
        parts.append(part)
    return parts[0], parts[1]


def main(argv: Optional[Sequence[str]] = None) -> List[Tuple[str, int, int]]:
    """Run the split.

    Args:
        argv: Command-line arguments without the program name.

    Returns:
        The summary rows ``(file path, #images, #annotations)`` in the order
        they were printed.

    Raises:
        SplitError: On bad input; nothing is written then.
    """
    args = parse_args(argv)
    ann = load_ann(args.ann_file)
    n = len(ann['images'])
    ids = [im['id'] for im in ann['images']]
    if len(set(ids)) != n:
        raise SplitError(f'annotation file {args.ann_file} has duplicate '
                         'image ids')
    if args.seed < 0 or any(f < 0 for f in args.folds):
        raise SplitError('--seed and --folds must be non-negative')
    counts = {format_percent(p): labeled_count(n, p) for p in args.percents}

    out_dir = args.out_dir or osp.join(
        osp.dirname(osp.abspath(args.ann_file)), 'semi')
    stem = osp.splitext(osp.basename(args.ann_file))[0]
    outputs: Dict[str, Dict[str, Any]] = {}
    for fold in dict.fromkeys(args.folds):
        perm = np.random.default_rng([args.seed, fold]).permutation(n)
        for ptxt, k in counts.items():
            labeled, unlabeled = split_one(ann, k, perm)
            base = osp.join(out_dir, f'{stem}.{fold}@{ptxt}')
            outputs[f'{base}.json'] = labeled
            outputs[f'{base}-unlabeled.json'] = unlabeled
    atomic_write_many(outputs)

    rows = [(path, len(d['images']), len(d['annotations']))
            for path, d in outputs.items()]
    width = max(len('file'), *(len(osp.basename(r[0])) for r in rows))
    print(f'{"file":<{width}}  {"#images":>8}  {"#annotations":>12}')
    for path, n_img, n_ann in rows:
        print(f'{osp.basename(path):<{width}}  {n_img:>8}  {n_ann:>12}')
    print(f'({len(rows)} files in {out_dir}; {n} images in {args.ann_file}, '
          f'seed {args.seed})')
    return rows


if __name__ == '__main__':
    try:
        main()
    except SplitError as e:
        sys.exit(f'error: {e}')  # on stderr, exit status 1
