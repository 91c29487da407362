"""``generate_synthetic_dsb``: a synthetic DSB 2018 set, all or nothing."""
import json
import multiprocessing
import os
import os.path as osp
import shutil
import time
from dataclasses import asdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import writer
from .config import SyntheticNucleiConfig

__all__ = ['generate_synthetic_dsb', 'LABELS_CSV', 'META_JSON']

#: Name of the CSV file written next to ``stage1_train``.
LABELS_CSV = 'stage1_train_labels.csv'
#: Name of the JSON file with the generator parameters and the summary.
META_JSON = 'synthetic_dsb_meta.json'


def _task(args: Tuple) -> writer.WrittenImage:
    return writer.render_and_write(*args)


def _summarise(out_dir: str, seed: int,
               written: List[writer.WrittenImage]) -> Dict:
    counts = [w.num_nuclei for w in written]
    sizes: Dict[str, int] = {}
    for w in written:
        key = f'{w.size[0]}x{w.size[1]}'
        sizes[key] = sizes.get(key, 0) + 1

    def total(key: str) -> int:
        return int(sum(w.stats[key] for w in written))

    return dict(
        out_dir=out_dir,
        seed=int(seed),
        num_images=len(written),
        num_nuclei=int(sum(counts)),
        num_empty_images=int(sum(c == 0 for c in counts)),
        nuclei_per_image=(int(min(counts)), round(float(np.mean(counts)), 2),
                          int(max(counts))),
        num_touching_pairs=total('touching_pairs'),
        num_visible_overlap_pairs=total('visible_overlap_pairs'),
        num_mask_overlap_pairs=total('mask_overlap_pairs'),
        num_images_with_mask_overlaps=int(
            sum(w.stats['mask_overlap_pairs'] > 0 for w in written)),
        image_sizes=dict(sorted(sizes.items())))


def _render_all(tasks: List[Tuple], workers: int,
                show_progress: bool) -> List[writer.WrittenImage]:
    """Run the tasks (forked workers if ``workers > 1``), in index order."""
    written: List[Optional[writer.WrittenImage]] = [None] * len(tasks)
    bar = None
    if show_progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(tasks))
    if workers > 1:
        # fork: a spawned worker would re-import mmssmd (torch, mmdet)
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context(
            'fork' if 'fork' in methods else 'spawn')
        chunk = max(1, min(16, len(tasks) // (workers * 8)))
        with ctx.Pool(workers) as pool:
            results = pool.imap_unordered(_task, tasks, chunk)
            for res in results:
                written[res.index] = res
                if bar is not None:
                    bar.update()
    else:
        for task in tasks:
            res = _task(task)
            written[res.index] = res
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.file.write('\n')
        bar.file.flush()
    return written


def _publish(tmp_dir: str, out_dir: str) -> None:
    """Move the finished set from ``tmp_dir`` into ``out_dir``."""
    if not osp.exists(out_dir):
        os.makedirs(osp.dirname(out_dir) or '.', exist_ok=True)
        os.rename(tmp_dir, out_dir)
        return
    for name in ('stage1_train', LABELS_CSV, META_JSON):
        dst = osp.join(out_dir, name)
        if osp.isdir(dst) and not osp.islink(dst):
            shutil.rmtree(dst)
        elif osp.lexists(dst):
            os.remove(dst)
        os.replace(osp.join(tmp_dir, name), dst)
    os.rmdir(tmp_dir)


def generate_synthetic_dsb(out_dir: str,
                           num_images: int = 200,
                           seed: int = 0,
                           image_size: Tuple[int, int] = (256, 256),
                           image_sizes: Optional[Sequence[Tuple[int,
                                                                int]]] = None,
                           num_nuclei_range: Tuple[int, int] = (5, 60),
                           radius_range: Tuple[float, float] = (4.0, 16.0),
                           cluster_prob: float = 0.5,
                           overlap_prob: float = 0.3,
                           max_overlap_frac: float = 0.3,
                           mask_overlap_prob: float = 0.03,
                           empty_fraction: float = 0.0,
                           irregularity: float = 0.06,
                           min_mask_area: int = 12,
                           styles: Sequence[str] = ('fluorescence', ),
                           debris_range: Tuple[int, int] = (0, 0),
                           workers: int = 1,
                           overwrite: bool = False,
                           show_progress: bool = True) -> Dict:
    """Generate a synthetic DSB-2018-style nuclei dataset on disk.

    Writes ``out_dir/stage1_train/<ImageId>/{images,masks}/*.png``,
    ``stage1_train_labels.csv`` and ``synthetic_dsb_meta.json`` in the real
    Kaggle layout, built in ``<out_dir>.tmp-<pid>`` and moved into place only
    when complete (an exception removes it). The same seed and options give
    byte-identical files for any ``workers``. Layout and image model:
    ``docs/data_and_metrics.md``. Parameters not listed below are those of
    :class:`SyntheticNucleiConfig`.

    Args:
        out_dir: Dataset root.
        num_images: Number of images, >= 1.
        seed: Seed of the whole set, >= 0.
        image_size: ``(height, width)`` of the images.
        image_sizes: If given, each image's ``(height, width)`` is drawn from
            this list instead (e.g. ``DSB_FLUORESCENCE_SIZES``).
        workers: Worker processes (1 = in-process). Does not change the output.
        overwrite: Replace an existing non-empty ``out_dir/stage1_train`` or
            an existing labels CSV instead of raising.
        show_progress: Show an ``mmengine`` progress bar.

    Returns:
        dict: Summary with ``out_dir``, ``seed``, ``num_images``,
        ``num_nuclei``, ``num_empty_images``, ``nuclei_per_image`` (min, mean,
        max), ``num_touching_pairs``, ``num_visible_overlap_pairs``,
        ``num_mask_overlap_pairs``, ``num_images_with_mask_overlaps``,
        ``image_sizes`` ({'HxW': count}) and ``elapsed_s``.

    Raises:
        FileExistsError: If ``out_dir`` already holds a dataset and
            ``overwrite`` is False.
        ValueError: On invalid parameters.
    """
    if num_images < 1:
        raise ValueError(f'num_images must be >= 1, got {num_images}')
    if seed < 0:
        raise ValueError(f'seed must be >= 0, got {seed}')
    cfg = SyntheticNucleiConfig(
        image_size=tuple(int(v) for v in image_size),
        image_sizes=(tuple(tuple(int(v) for v in s) for s in image_sizes)
                     if image_sizes else None),
        num_nuclei_range=tuple(int(v) for v in num_nuclei_range),
        radius_range=tuple(float(v) for v in radius_range),
        cluster_prob=cluster_prob,
        overlap_prob=overlap_prob,
        max_overlap_frac=max_overlap_frac,
        mask_overlap_prob=mask_overlap_prob,
        empty_fraction=empty_fraction,
        irregularity=irregularity,
        min_mask_area=int(min_mask_area),
        styles=tuple(styles),
        debris_range=tuple(int(v) for v in debris_range))
    out_dir = osp.abspath(osp.expanduser(str(out_dir)))
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise FileExistsError(f'{out_dir} exists and is not a directory')
    dst_train = osp.join(out_dir, 'stage1_train')
    exists = ((osp.isdir(dst_train) and len(os.listdir(dst_train)) > 0)
              or osp.exists(osp.join(out_dir, LABELS_CSV)))
    if exists and not overwrite:
        raise FileExistsError(
            f'{out_dir} already holds a dataset (stage1_train or '
            f'{LABELS_CSV}); pass overwrite=True (--overwrite) to replace it')

    start = time.perf_counter()
    tmp_dir = f'{out_dir}.tmp-{os.getpid()}'
    if osp.exists(tmp_dir):
        shutil.rmtree(tmp_dir)
    train_dir = osp.join(tmp_dir, 'stage1_train')
    os.makedirs(train_dir)
    try:
        tasks = [(seed, i, cfg, train_dir) for i in range(num_images)]
        written = _render_all(tasks, workers, show_progress)
        summary = _summarise(out_dir, seed, written)
        with open(osp.join(tmp_dir, LABELS_CSV), 'w', newline='') as f:
            f.write('ImageId,EncodedPixels\n')
            for w in written:
                f.writelines(w.csv_rows)
        meta = dict(
            generator='mmssmd.testing.synthetic_dsb',
            seed=int(seed),
            num_images=num_images,
            config=asdict(cfg),
            summary={k: v
                     for k, v in summary.items() if k != 'out_dir'})
        with open(osp.join(tmp_dir, META_JSON), 'w') as f:
            json.dump(meta, f, indent=2, sort_keys=True)
            f.write('\n')
        _publish(tmp_dir, out_dir)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    summary['elapsed_s'] = round(time.perf_counter() - start, 3)
    return summary
