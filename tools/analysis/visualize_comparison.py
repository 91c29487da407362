"""Draw what several detectors find on the same test images (Figs. 6-7).

Usage::

    python tools/analysis/visualize_comparison.py \
        --model supervised CONFIG_A CKPT_A --model SSMD CONFIG_B CKPT_B \
        [--ann-file TEST_JSON --img-root ROOT] [--num-images 4] [--seed S] \
        [--score-thr 0.3] [--iou-thr 0.5] --out comparison.png

A grid: one row per image, the columns ground truth, then each model. In a
model's panel, detections above ``--score-thr`` matched to a ground-truth
box at IoU >= ``--iou-thr`` (greedy by descending score, as COCO) are true
positives (green), the others false positives (red), unmatched ground
truth is missed (yellow); the title gives the counts. The images are the
test dataloader of the first model's config (or ``--config``), optionally
with another COCO annotation file and image root; the first N, or N drawn
with ``--seed``. DeepLesion's float slices are shown as the key slice (the
middle channel) in a CT window (default: the loader's HU range).
"""
import argparse
import copy
import io
import os
import os.path as osp
import random
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmdet.evaluation.functional import bbox_overlaps  # noqa: E402
from mmdet.registry import DATASETS, MODELS  # noqa: E402
from mmdet.utils import register_all_modules  # noqa: E402
from mmdet.visualization import DetLocalVisualizer  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import pseudo_collate  # noqa: E402
from mmengine.runner import load_checkpoint  # noqa: E402
from PIL import Image  # noqa: E402

import mmssmd  # noqa: F401,E402  (registers modules, checkpoint globals)

COLORS = dict(gt=(0, 190, 255), tp=(0, 230, 0), fp=(255, 0, 0),
              fn=(255, 230, 0))
LEGEND = ('ground truth: blue; detections: green = TP, red = FP; '
          'yellow = missed ground truth')


def match_detections(boxes: np.ndarray, scores: np.ndarray,
                     gt_boxes: np.ndarray,
                     iou_thr: float = 0.5) -> Tuple[np.ndarray, np.ndarray]:
    """Greedy matching of detections to ground truth, as COCO's.

    Detections are visited by descending score (ties in input order); each
    takes the still unmatched ground-truth box of highest IoU if that IoU
    is at least ``iou_thr``, otherwise it is a false positive.

    Args:
        boxes (np.ndarray): Detections, [N, 4] (x1, y1, x2, y2).
        scores (np.ndarray): Their scores, [N].
        gt_boxes (np.ndarray): Ground truth, [M, 4].
        iou_thr (float): The IoU a true positive needs.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``tp`` [N] bool (per detection) and
        ``found`` [M] bool (per ground-truth box).
    """
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    gt_boxes = np.asarray(gt_boxes, dtype=np.float32).reshape(-1, 4)
    tp = np.zeros(len(boxes), dtype=bool)
    found = np.zeros(len(gt_boxes), dtype=bool)
    if len(boxes) == 0 or len(gt_boxes) == 0:
        return tp, found
    ious = bbox_overlaps(boxes, gt_boxes)
    for i in np.argsort(-np.asarray(scores), kind='stable'):
        candidates = np.where(found, -1.0, ious[i])
        j = int(np.argmax(candidates))
        if candidates[j] >= iou_thr:
            tp[i], found[j] = True, True
    return tp, found


def test_dataset(cfg: Config, ann_file: Optional[str],
                 img_root: Optional[str]):
    """The test dataset of ``cfg`` (innermost), optionally on another COCO
    annotation file / image root."""
    ds_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    while 'dataset' in ds_cfg:
        ds_cfg = ds_cfg['dataset']
    if ann_file is not None:
        ds_cfg['ann_file'] = osp.abspath(ann_file)
    if img_root is not None:
        ds_cfg['data_root'] = img_root
        ds_cfg['data_prefix'] = dict(img='')
    return DATASETS.build(ds_cfg)


def display_image(dataset, index: int,
                  window: Optional[Sequence[float]]) -> np.ndarray:
    """The image as loaded by the first step of the test pipeline, as RGB
    uint8; a float image (DeepLesion) becomes its key slice (the middle
    channel) in the CT ``window`` (HU; default: the loader's range)."""
    loader = dataset.pipeline.transforms[0]
    img = loader(copy.deepcopy(dataset.get_data_info(index)))['img']
    if img.dtype == np.uint8:
        img = img[..., ::-1] if img.ndim == 3 else np.stack([img] * 3, -1)
        return np.ascontiguousarray(img)
    key = img[..., img.shape[-1] // 2] if img.ndim == 3 else img
    out_lo, out_hi = getattr(loader, 'out_range', (key.min(), key.max()))
    hu_lo, hu_hi = getattr(loader, 'hu_range', (out_lo, out_hi))
    hu = hu_lo + (key - out_lo) * (hu_hi - hu_lo) / max(out_hi - out_lo,
                                                         1e-6)
    lo, hi = window if window is not None else (hu_lo, hu_hi)
    grey = np.clip((hu - lo) / (hi - lo), 0, 1) * 255
    return np.stack([grey.astype(np.uint8)] * 3, axis=-1)


def ground_truth(dataset, index: int) -> np.ndarray:
    """Ground-truth boxes (not ignored) of one image, original pixels."""
    info = dataset.get_data_info(index)
    boxes = [i['bbox'] for i in info.get('instances', [])
             if not i.get('ignore_flag', 0)]
    return np.asarray(boxes, dtype=np.float32).reshape(-1, 4)


def predict(config: str, checkpoint: str, indices: List[int],
            ann_file: Optional[str], img_root: Optional[str],
            device: str) -> Tuple[List[str], List[Tuple[np.ndarray,
                                                         np.ndarray]]]:
    """Predictions of one model on the images ``indices`` of its test set.

    Returns:
        tuple: The image paths and, per image, (boxes [N, 4], scores [N])
        in original pixels.
    """
    cfg = Config.fromfile(config)
    dataset = test_dataset(cfg, ann_file, img_root)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.to(device).eval()
    paths, results = [], []
    with torch.no_grad():
        for index in indices:
            data = dataset[index]
            pred = model.test_step(pseudo_collate([data]))[0].pred_instances
            paths.append(data['data_samples'].img_path)
            results.append((pred.bboxes.cpu().numpy(),
                            pred.scores.cpu().numpy()))
    return paths, results


def draw_panel(visualizer: DetLocalVisualizer, image: np.ndarray,
               groups: Sequence[Tuple[np.ndarray, tuple]]) -> np.ndarray:
    """``image`` with each (boxes, colour) group drawn by ``visualizer``."""
    visualizer.set_image(image)
    height, width = image.shape[:2]
    line = max(1, round(max(height, width) / 200))
    for boxes, color in groups:
        if len(boxes):
            # boxes reaching past the border are drawn along it
            boxes = np.clip(boxes, 0, [width - 1, height - 1] * 2)
            visualizer.draw_bboxes(boxes, edge_colors=color,
                                   line_widths=line, alpha=1.0)
    return visualizer.get_image()


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Grid of ground truth and several detectors\' TP / FP '
        '/ missed boxes on test images')
    parser.add_argument('--model', nargs=3, action='append', required=True,
                        metavar=('NAME', 'CONFIG', 'CHECKPOINT'))
    parser.add_argument('--config', help='config whose test dataloader '
                        'gives the images (default: the first model\'s)')
    parser.add_argument('--ann-file', help='COCO json of the test images '
                        '(default: the config\'s test annotation file)')
    parser.add_argument('--img-root', help='folder the json\'s file names '
                        'are relative to (with --ann-file)')
    parser.add_argument('--num-images', type=int, default=4)
    parser.add_argument('--seed', type=int, default=None,
                        help='draw the images at random with this seed '
                        '(default: the first N)')
    parser.add_argument('--score-thr', type=float, default=0.3)
    parser.add_argument('--iou-thr', type=float, default=0.5)
    parser.add_argument('--window', type=float, nargs=2, default=None,
                        metavar=('LOW', 'HIGH'),
                        help='CT window in HU for float (DeepLesion) images '
                        '(default: the loader\'s HU range)')
    parser.add_argument('--panel-size', type=float, default=3.0,
                        help='inches per panel (100 dpi)')
    parser.add_argument('--colors', type=int, default=0,
                        help='write a palette PNG of this many colours '
                        '(smaller files; default: full colour)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', required=True, help='output PNG')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> Dict[str, List[dict]]:
    """Draw the grid; returns per model the TP / FP / FN of each image."""
    args = parse_args(argv)
    files = [('config', args.config)] if args.config else []
    for _, config, checkpoint in args.model:
        files += [('config', config), ('checkpoint', checkpoint)]
    for what, path in files:
        if not osp.isfile(path):
            raise SystemExit(f'error: {what} {path} not found')
    if args.num_images < 1:
        raise SystemExit('error: --num-images must be >= 1')
    register_all_modules(init_default_scope=True)
    source = Config.fromfile(args.config or args.model[0][1])
    dataset = test_dataset(source, args.ann_file, args.img_root)
    n = min(args.num_images, len(dataset))
    if n == 0:
        raise SystemExit('error: the test set has no images')
    indices = list(range(n)) if args.seed is None else sorted(
        random.Random(args.seed).sample(range(len(dataset)), n))
    images = [display_image(dataset, i, args.window) for i in indices]
    truths = [ground_truth(dataset, i) for i in indices]
    paths = [dataset.get_data_info(i)['img_path'] for i in indices]

    visualizer = DetLocalVisualizer.get_instance('visualize_comparison')
    size, cols = args.panel_size, len(args.model) + 1
    fig, axes = plt.subplots(n, cols, figsize=(cols * size, n * size),
                             dpi=100, squeeze=False)
    for r in range(n):
        axes[r, 0].imshow(draw_panel(visualizer, images[r],
                                     [(truths[r], COLORS['gt'])]))
        axes[r, 0].set_title(f'{osp.basename(paths[r])[:16]}: '
                             f'{len(truths[r])} GT', fontsize=8)
    counts: Dict[str, List[dict]] = {}
    for c, (name, config, checkpoint) in enumerate(args.model, start=1):
        model_paths, preds = predict(config, checkpoint, indices,
                                     args.ann_file, args.img_root,
                                     args.device)
        if model_paths != paths:
            raise SystemExit(f'error: {config}: its test images differ from '
                             'those of the first config (use --ann-file / '
                             '--img-root)')
        counts[name] = []
        for r, (boxes, scores) in enumerate(preds):
            keep = scores >= args.score_thr
            boxes, scores = boxes[keep], scores[keep]
            tp, found = match_detections(boxes, scores, truths[r],
                                         args.iou_thr)
            count = dict(tp=int(tp.sum()), fp=int((~tp).sum()),
                         fn=int((~found).sum()))
            counts[name].append(count)
            axes[r, c].imshow(draw_panel(
                visualizer, images[r],
                [(truths[r][~found], COLORS['fn']),
                 (boxes[~tp], COLORS['fp']), (boxes[tp], COLORS['tp'])]))
            axes[r, c].set_title(
                f'{name}: TP {count["tp"]} / FP {count["fp"]} / '
                f'FN {count["fn"]}', fontsize=8)
    for ax in axes.flat:
        ax.axis('off')
    fig.suptitle(f'{LEGEND} (IoU >= {args.iou_thr:g}, score >= '
                 f'{args.score_thr:g})', fontsize=7)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93,
                        wspace=0.03, hspace=0.12)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    if args.colors:
        buffer = io.BytesIO()
        fig.savefig(buffer, dpi=100, format='png')
        Image.open(buffer).convert('RGB').quantize(args.colors).save(
            args.out, optimize=True)
    else:
        fig.savefig(args.out, dpi=100)
    plt.close(fig)
    print(f'wrote {args.out}')
    return counts


if __name__ == '__main__':
    main()
