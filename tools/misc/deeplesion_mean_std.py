"""Training-set mean and standard deviation of the DeepLesion inputs.

The paper clips HU to [-1100, 1100], scales to [-1, 1] and then normalises
with "the mean and standard deviation of the whole training set". This tool
computes them: it loads every image of a DeepLesion COCO json (the train
split) with the slice loader of a config (``LoadDeepLesionSlices`` with the
config's slices, window, spacing and size, but output range [-1, 1]) and
accumulates the pixel values of the loaded slices (the image itself, not
the padding added later), per channel and pooled over the channels.

Usage::

    python tools/misc/deeplesion_mean_std.py \\
        --ann-file data/deeplesion/annotations/instances_train.json \\
        [--data-root data/deeplesion] \\
        [--config configs/_base_/datasets/deeplesion_detection.py] \\
        [--max-images N --seed 0] [--num-workers 4] [--out stats.json]

It prints the pooled mean ``m`` and std ``s`` of the [-1, 1] images and the
values to put into ``configs/_base_/models/deeplesion_data_preprocessor.py``:
the configs' loader writes [0, 255] (``out_range=(0, 255)``), so the data
preprocessor needs ``mean = 127.5 * (1 + m)`` and ``std = 127.5 * s`` (the
same for the three channels, which are all CT slices; the per-channel
values are printed too) to compute ``(x_[-1, 1] - m) / s``. ``--out``
writes all numbers to a json (atomically).

``--max-images`` estimates from a random subset (without replacement,
``numpy.random.default_rng(seed)``); the default is every image.
"""
import argparse
import os.path as osp
import sys
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

try:
    import mmssmd  # noqa: F401  (registers the dataset and the loader)
    from mmssmd.utils.io import atomic_write_json
except ImportError:  # run from a source checkout without installing
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    import mmssmd  # noqa: F401
    from mmssmd.utils.io import atomic_write_json

from mmdet.registry import DATASETS
from mmdet.utils import register_all_modules
from mmengine.config import Config

DEFAULT_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    '_base_', 'datasets', 'deeplesion_detection.py')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv: Arguments without the program name; ``None`` reads
            ``sys.argv``.

    Returns:
        The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='Mean / std of DeepLesion training inputs in [-1, 1].')
    parser.add_argument('--ann-file', required=True,
                        help='COCO json of deeplesion_to_coco.py (train)')
    parser.add_argument('--data-root', default=None,
                        help='directory holding Images_png/ (default: the '
                        'parent of the annotations/ folder of --ann-file)')
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='config whose train pipeline holds the '
                        'LoadDeepLesionSlices settings to use')
    parser.add_argument('--max-images', type=int, default=None,
                        help='use a random subset of this many images')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the subset')
    parser.add_argument('--num-workers', type=int, default=0,
                        help='data loading processes')
    parser.add_argument('--out', default=None, help='json file to write')
    return parser.parse_args(argv)


def loader_from_config(path: str) -> List[Dict[str, Any]]:
    """The slice-loading steps of a config's train pipeline
    (``LoadDeepLesionSlices`` and ``ResizeToSpacing``), the loader with
    output range [-1, 1] (the range the paper's statistics refer to).

    Args:
        path: Config file.

    Returns:
        The transform configs, in pipeline order.

    Raises:
        ValueError: The config has no ``LoadDeepLesionSlices``.
    """
    cfg = Config.fromfile(path)
    dataset = cfg.train_dataloader.dataset
    while 'pipeline' not in dataset and 'datasets' in dataset:
        dataset = dataset.datasets[0]  # a ConcatDataset of semi configs
    steps = [
        dict(t) for t in dataset.get('pipeline', [])
        if t['type'] in ('LoadDeepLesionSlices', 'ResizeToSpacing')
    ]
    if not steps or steps[0]['type'] != 'LoadDeepLesionSlices':
        raise ValueError(f'{path}: the train pipeline has no '
                         'LoadDeepLesionSlices')
    steps[0]['out_range'] = (-1.0, 1.0)
    return steps


class _PixelSums(Dataset):
    """Per image: channel sums, sums of squares and the pixel count."""

    def __init__(self, dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int):
        img = self.dataset[self.indices[i]]['img'].astype(np.float64)
        flat = img.reshape(-1, img.shape[-1])
        return flat.sum(0), (flat**2).sum(0), flat.shape[0]


def _first(batch):
    return batch[0]


def compute(ann_file: str, data_root: str, loader: List[Dict[str, Any]],
            max_images: Optional[int] = None, seed: int = 0,
            num_workers: int = 0) -> Dict[str, Any]:
    """Accumulate the statistics.

    Args:
        ann_file: The COCO json.
        data_root: Root of the relative image paths.
        loader: The slice-loading steps (``LoadDeepLesionSlices`` with
            output range [-1, 1], then ``ResizeToSpacing``).
        max_images: Subset size, or None for all images.
        seed: Subset seed.
        num_workers: DataLoader workers.

    Returns:
        ``mean`` / ``std`` (pooled), ``channel_mean`` / ``channel_std``,
        ``num_images``, ``num_pixels`` and the data-preprocessor values
        ``preprocessor_mean`` / ``preprocessor_std`` (for [0, 255] input).
    """
    dataset = DATASETS.build(
        dict(type='DeepLesionDataset', data_root=data_root,
             ann_file=ann_file, data_prefix=dict(img=''), test_mode=True,
             pipeline=loader))
    n = len(dataset)
    if n == 0:
        raise ValueError(f'{ann_file} has no images')
    indices = np.arange(n)
    if max_images is not None and max_images < n:
        indices = np.sort(
            np.random.default_rng(seed).choice(n, max_images, replace=False))
    sums = sq = None
    count = 0
    for s, s2, c in DataLoader(
            _PixelSums(dataset, indices.tolist()), batch_size=1,
            num_workers=num_workers, collate_fn=_first):
        s, s2 = np.asarray(s, np.float64), np.asarray(s2, np.float64)
        sums = s if sums is None else sums + s
        sq = s2 if sq is None else sq + s2
        count += int(c)
    channel_mean = sums / count
    channel_std = np.sqrt(np.maximum(sq / count - channel_mean**2, 0))
    mean = float(sums.sum() / (count * len(sums)))
    std = float(np.sqrt(max(sq.sum() / (count * len(sums)) - mean**2, 0)))
    return dict(
        ann_file=ann_file,
        loader=loader,
        num_images=int(len(indices)),
        num_pixels=int(count),
        mean=mean,
        std=std,
        channel_mean=channel_mean.tolist(),
        channel_std=channel_std.tolist(),
        preprocessor_mean=[127.5 * (1 + mean)] * len(sums),
        preprocessor_std=[127.5 * std] * len(sums))


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Run the tool and print the results.

    Args:
        argv: Command-line arguments without the program name.

    Returns:
        The statistics (see :func:`compute`).
    """
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    if not osp.isfile(args.ann_file):
        raise FileNotFoundError(f'annotation file {args.ann_file} not found')
    data_root = args.data_root or osp.dirname(
        osp.dirname(osp.abspath(args.ann_file)))
    if args.max_images is not None and args.max_images < 1:
        raise ValueError('--max-images must be positive')
    torch.set_num_threads(1)
    stats = compute(args.ann_file, data_root, loader_from_config(args.config),
                    args.max_images, args.seed, args.num_workers)
    print(f'{stats["num_images"]} images, {stats["num_pixels"]} pixels '
          'per channel, values in [-1, 1]:')
    print(f'  mean m = {stats["mean"]:.6f}, std s = {stats["std"]:.6f}')
    print('  per channel [-2 mm, key, +2 mm]: mean '
          f'{np.round(stats["channel_mean"], 6).tolist()}, std '
          f'{np.round(stats["channel_std"], 6).tolist()}')
    mean = round(stats['preprocessor_mean'][0], 4)
    std = round(stats['preprocessor_std'][0], 4)
    print('In configs/_base_/models/deeplesion_data_preprocessor.py (the '
          'loader outputs [0, 255]):')
    print(f'    mean=[{mean}, {mean}, {mean}],')
    print(f'    std=[{std}, {std}, {std}],')
    if args.out:
        atomic_write_json(stats, args.out, indent=1)
        print(f'wrote {args.out}')
    return stats


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as e:
        sys.stderr.write(f'error: {e}\n')
        sys.exit(1)
