"""Detect objects in images with a trained model: a file, a folder or a glob.

    python tools/misc/infer_images.py CONFIG WEIGHTS INPUTS... --out-dir DIR

``CONFIG`` is an exported plain detector (``extract_detector.py``) or a
training config (SSMD and the mean teacher predict with the network
``model.semi_test_cfg.predict_on`` names). MMDetection's ``DetInferencer``
does the work (mmdet's ``demo/image_demo.py`` is not part of its pip
package): drawn images go to ``DIR/vis/``, predictions (json) to
``DIR/preds/``, and one line per image is printed.
"""
import argparse
import glob
import os.path as osp
import sys
from typing import List, Optional, Sequence

import mmssmd  # noqa: F401  (registers the datasets, metrics and SSMD)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line (``sys.argv[1:]`` if ``argv`` is None)."""
    parser = argparse.ArgumentParser(
        description='Detect objects in images with a trained model')
    parser.add_argument('config', help='exported or training config')
    parser.add_argument('weights', help='checkpoint')
    parser.add_argument('inputs', nargs='+',
                        help='image files, folders or glob patterns')
    parser.add_argument('--out-dir', required=True,
                        help='vis/ and preds/ are written here')
    parser.add_argument('--score-thr', type=float, default=0.5,
                        help='draw boxes scoring at least this (default 0.5)')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument('--batch-size', type=int, default=1)
    return parser.parse_args(argv)


def expand_inputs(inputs: Sequence[str]) -> List[str]:
    """Image paths of files, folders (their files, sorted) and globs.

    Raises:
        FileNotFoundError: An input matches no file.
    """
    paths = []
    for item in inputs:
        if osp.isdir(item):
            found = sorted(p for p in glob.glob(osp.join(item, '*'))
                           if osp.isfile(p))
        elif osp.isfile(item):
            found = [item]
        else:
            found = sorted(glob.glob(item))
        if not found:
            raise FileNotFoundError(f'{item}: no image found')
        paths += found
    return paths


def main(argv: Optional[Sequence[str]] = None) -> List[dict]:
    """Run the inferencer; returns its predictions (one dict per image)."""
    args = parse_args(argv)
    for path in (args.config, args.weights):
        if not osp.isfile(path):
            sys.exit(f'error: {path}: file not found')
    try:
        images = expand_inputs(args.inputs)
    except FileNotFoundError as e:
        sys.exit(f'error: {e}')
    from mmdet.apis import DetInferencer
    inferencer = DetInferencer(model=args.config, weights=args.weights,
                               device=args.device, show_progress=False)
    result = inferencer(images, batch_size=args.batch_size,
                        out_dir=args.out_dir, no_save_pred=False,
                        pred_score_thr=args.score_thr)
    for image, pred in zip(images, result['predictions']):
        kept = sum(s >= args.score_thr for s in pred['scores'])
        print(f'{image}: {kept} boxes with score >= {args.score_thr}')
    print(f'drawn images in {osp.join(args.out_dir, "vis")}, predictions '
          f'in {osp.join(args.out_dir, "preds")}')
    return result['predictions']


if __name__ == '__main__':
    main()
