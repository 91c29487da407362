"""Generate a synthetic fluorescence-nuclei dataset in the DSB 2018 layout.

Usage::

    python tools/misc/generate_synthetic_dsb.py --out-dir data/demo_dsb \\
        --num-images 200 --seed 0 [--size 256 256] [--workers 2]

writes ``<out-dir>/stage1_train/<ImageId>/{images,masks}/*.png`` and
``<out-dir>/stage1_train_labels.csv`` exactly like the Kaggle data (see
:mod:`mmssmd.testing.synthetic_dsb` and ``docs/data_and_metrics.md`` for the
format and the image model), so
``tools/dataset_converters/dsb2018_to_coco.py`` converts it like the real set.
The same ``--seed`` gives byte-identical files for any ``--workers``.
The set is built in ``<out-dir>.tmp-<pid>`` and moved into place when
complete; an existing dataset in ``<out-dir>`` is kept unless ``--overwrite``.
The summary (images, nuclei, touching / overlapping pairs) is printed as JSON.
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict, Optional, Sequence, Tuple

try:
    from mmssmd.testing import (DSB_FLUORESCENCE_SIZES, STYLES,
                                generate_synthetic_dsb)
except ImportError:  # run from a source checkout without installing
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmssmd.testing import (DSB_FLUORESCENCE_SIZES, STYLES,
                                generate_synthetic_dsb)


def _parse_size(text: str) -> Tuple[int, int]:
    """Parse ``HxW`` (e.g. ``256x320``) into ``(height, width)``."""
    try:
        h, w = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected HEIGHTxWIDTH, e.g. 256x320, got {text!r}')
    return h, w


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` if None.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='Generate synthetic fluorescence nuclei in the DSB 2018 '
        'stage1_train format')
    parser.add_argument('--out-dir', required=True,
                        help='dataset root to create (e.g. data/demo_dsb)')
    parser.add_argument('--num-images', type=int, default=200,
                        help='number of images (default 200)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument('--size', type=int, nargs=2, default=[256, 256],
                        metavar=('HEIGHT', 'WIDTH'),
                        help='image size (default 256 256)')
    parser.add_argument(
        '--sizes', type=_parse_size, nargs='+', default=None, metavar='HxW',
        help='draw each image size from these, e.g. 256x256 256x320 360x360 '
        '(overrides --size)')
    dsb_sizes = ' '.join('%dx%d' % s for s in DSB_FLUORESCENCE_SIZES)
    parser.add_argument('--dsb-sizes', action='store_true',
                        help='draw each image size from the real DSB '
                        f'fluorescence sizes ({dsb_sizes})')
    parser.add_argument('--num-nuclei', type=int, nargs=2, default=[5, 60],
                        metavar=('MIN', 'MAX'),
                        help='nuclei per 256x256 image, scaled by area '
                        '(default 5 60)')
    parser.add_argument('--radius', type=float, nargs=2, default=[4.0, 16.0],
                        metavar=('MIN', 'MAX'),
                        help='nucleus radius range in pixels (default 4 16)')
    parser.add_argument('--cluster-prob', type=float, default=0.5,
                        help='fraction of nuclei placed next to another')
    parser.add_argument('--overlap-prob', type=float, default=0.3,
                        help='fraction of clustered nuclei that overlap')
    parser.add_argument('--mask-overlap-prob', type=float, default=0.03,
                        help='probability that an overlap is labelled with '
                        'overlapping masks (label-error style)')
    parser.add_argument('--empty-fraction', type=float, default=0.0,
                        help='fraction of images without nuclei')
    parser.add_argument('--styles', nargs='+', default=['fluorescence'],
                        choices=list(STYLES),
                        help='imaging styles drawn per image (several make '
                        'a harder, DSB-like mixture)')
    parser.add_argument('--debris', type=int, nargs=2, default=[0, 0],
                        metavar=('MIN', 'MAX'),
                        help='unlabeled specks per 256x256 image')
    parser.add_argument('--workers', type=int, default=1,
                        help='worker processes (output does not depend on it)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing dataset in --out-dir')
    parser.add_argument('--no-progress', action='store_true',
                        help='do not show a progress bar')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    """Run the generator from the command line.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` if None.

    Returns:
        dict: The summary returned by
        :func:`mmssmd.testing.generate_synthetic_dsb`.
    """
    args = parse_args(argv)
    sizes = args.sizes
    if args.dsb_sizes:
        sizes = list(DSB_FLUORESCENCE_SIZES)
    try:
        summary = generate_synthetic_dsb(
            args.out_dir,
            num_images=args.num_images,
            seed=args.seed,
            image_size=tuple(args.size),
            image_sizes=sizes,
            num_nuclei_range=tuple(args.num_nuclei),
            radius_range=tuple(args.radius),
            cluster_prob=args.cluster_prob,
            overlap_prob=args.overlap_prob,
            mask_overlap_prob=args.mask_overlap_prob,
            empty_fraction=args.empty_fraction,
            styles=args.styles,
            debris_range=tuple(args.debris),
            workers=args.workers,
            overwrite=args.overwrite,
            show_progress=not args.no_progress)
    except (FileExistsError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        raise SystemExit(1)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == '__main__':
    main()
