"""Write pseudo-labels of a trained detector as a COCO json (STAC-style).

Stage 1 of the pseudo-labeling baseline: a detector trained on the labeled
split predicts on the unlabeled split, and its detections with score >=
``--score-thr`` (0.9, as the paper) become the annotations of those images.
Stage 2 trains a new detector from scratch on labeled + pseudo-labeled
images (configs/pseudo_label/).

``--keep-top1`` is STAC's variant: the threshold of an image is
``min(score_thr, max score of the image)``, so every image with at least
one detection keeps at least its top box (all boxes tied with it too).

The model and the test pipeline come from the config (any mmssmd/mmdet
detector config, e.g. configs/baselines/supervised_r50_dsb_10pct.py);
annotation loading is removed from the pipeline, so the unlabeled split's
own annotations (the split tool keeps them) are never read. Boxes are in
original image coordinates. The output has the split's ``images`` and
``categories`` and one annotation per kept box (``bbox`` [x, y, w, h],
``area``, ``iscrowd`` 0, ``score``); it is written atomically.

Example::

    python tools/misc/generate_pseudo_labels.py \\
        configs/baselines/supervised_r50_dsb_10pct.py \\
        work_dirs/supervised_r50_dsb_10pct/best_coco_bbox_mAP_epoch_90.pth \\
        --ann-file \\
        data/dsb2018/annotations/semi/instances_train.1@10-unlabeled.json \\
        --out data/dsb2018/annotations/pseudo/supervised_r50_dsb_10pct.json
"""
import argparse
import copy
import json
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader

try:
    import mmssmd  # noqa: F401  (registers modules, checkpoint globals)
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))
    import mmssmd  # noqa: F401

from mmdet.registry import DATASETS, MODELS

from mmssmd.utils import atomic_write_json


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a COCO json of pseudo-labels (score >= thr) '
        'predicted by a trained detector on an unlabeled split')
    parser.add_argument('config', help='config of the trained detector')
    parser.add_argument('checkpoint', help='its checkpoint file')
    parser.add_argument(
        '--ann-file', required=True,
        help='COCO json of the unlabeled images (e.g. '
        'annotations/semi/instances_train.1@10-unlabeled.json); its '
        'annotations, if any, are ignored')
    parser.add_argument('--out', required=True,
                        help='output COCO json of pseudo-labels')
    parser.add_argument('--score-thr', type=float, default=0.9,
                        help='keep detections with score >= this '
                        '(default 0.9)')
    parser.add_argument(
        '--keep-top1', action='store_true',
        help="STAC's variant: per image, threshold min(score-thr, max "
        'score), so each image keeps at least its top box')
    parser.add_argument(
        '--img-root', default=None,
        help='root the json file names are relative to (default: the '
        "config's test_dataloader.dataset.data_root)")
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument(
        '--device', default=None,
        help="torch device (default: 'cuda:0' if available, else 'cpu')")
    parser.add_argument('--no-progress', action='store_true',
                        help='do not show a progress bar')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value (as in tools/test.py)')
    args = parser.parse_args(argv)
    if not 0.0 <= args.score_thr <= 1.0:
        parser.error(f'--score-thr must be in [0, 1], got {args.score_thr}')
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    return args


def select_pseudo_labels(scores: torch.Tensor, score_thr: float,
                         keep_top1: bool = False) -> torch.Tensor:
    """Which detections of one image become pseudo-labels.

    Args:
        scores (Tensor): Detection scores of the image, [N].
        score_thr (float): Keep scores >= this.
        keep_top1 (bool): Lower the threshold to the image's top score if
            that is below ``score_thr`` (STAC), so the top box is kept.

    Returns:
        Tensor: Boolean mask, [N].
    """
    if scores.numel() == 0:
        return scores.new_zeros(0, dtype=torch.bool)
    thr = score_thr
    if keep_top1:
        thr = min(score_thr, scores.max().item())
    return scores >= thr


def load_split(ann_file: str) -> Dict:
    """Read the unlabeled split and check it has images and categories."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file not found: {ann_file}')
    try:
        with open(ann_file, encoding='utf-8') as f:
            split = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{ann_file}: not valid JSON (line {e.lineno}, '
                         f'column {e.colno}): {e.msg}') from e
    if not isinstance(split, dict) or 'images' not in split:
        raise ValueError(f'{ann_file}: not a COCO json (no "images" list)')
    if not split['images']:
        raise ValueError(f'{ann_file}: the split has no images, nothing to '
                         'pseudo-label')
    if not split.get('categories'):
        raise ValueError(f'{ann_file}: no "categories" (pycocotools and the '
                         'dataset need them)')
    return split


def build_dataset(cfg: Config, ann_file: str, img_root: Optional[str]):
    """The config's test dataset on ``ann_file``, no annotation loading."""
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    if 'pipeline' not in dataset_cfg:
        raise ValueError('the config\'s test_dataloader.dataset has no '
                         'pipeline (a wrapped dataset is not supported)')
    dataset_cfg.ann_file = osp.abspath(ann_file)
    if img_root is not None:
        dataset_cfg.data_root = img_root
    dataset_cfg.test_mode = True
    dataset_cfg.pipeline = [
        t for t in dataset_cfg.pipeline if t['type'] != 'LoadAnnotations'
    ]
    return DATASETS.build(dataset_cfg)


def to_annotations(results: Sequence, cat_ids: Sequence[int],
                   score_thr: float, keep_top1: bool,
                   first_id: int = 1) -> List[Dict]:
    """COCO annotations of the kept detections of a batch of results.

    Args:
        results (Sequence[DetDataSample]): ``model.test_step`` outputs, with
            ``img_id`` and ``pred_instances`` (boxes x1y1x2y2 in original
            image coordinates).
        cat_ids (Sequence[int]): COCO category id of each label index.
        score_thr (float): Score threshold.
        keep_top1 (bool): See :func:`select_pseudo_labels`.
        first_id (int): Id of the first annotation.

    Returns:
        list[dict]: The annotations.
    """
    anns = []
    for result in results:
        pred = result.pred_instances
        keep = select_pseudo_labels(pred.scores, score_thr, keep_top1)
        boxes = pred.bboxes[keep].cpu().tolist()
        scores = pred.scores[keep].cpu().tolist()
        labels = pred.labels[keep].cpu().tolist()
        for (x1, y1, x2, y2), score, label in zip(boxes, scores, labels):
            w, h = x2 - x1, y2 - y1
            anns.append(
                dict(
                    id=first_id + len(anns),
                    image_id=result.img_id,
                    category_id=int(cat_ids[label]),
                    bbox=[x1, y1, w, h],
                    area=w * h,
                    iscrowd=0,
                    score=score))
    return anns


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    for what, path in (('config', args.config),
                       ('checkpoint', args.checkpoint)):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what} file not found: {path}')
    if osp.abspath(args.out) == osp.abspath(args.ann_file):
        raise ValueError('--out must differ from --ann-file')
    split = load_split(args.ann_file)

    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    device = args.device or ('cuda:0'
                             if torch.cuda.is_available() else 'cpu')

    dataset = build_dataset(cfg, args.ann_file, args.img_root)
    if len(dataset) == 0:
        raise ValueError(f'{args.ann_file}: the dataset built from it is '
                         'empty')
    cat_ids = getattr(dataset, 'cat_ids', None)
    if cat_ids is None:  # not a COCO-style dataset: take the json's order
        cat_ids = [c['id'] for c in split['categories']]

    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    model.to(device).eval()

    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=False,
                        num_workers=0, collate_fn=pseudo_collate)
    bar = None if args.no_progress else ProgressBar(len(dataset))
    anns: List[Dict] = []
    with torch.no_grad():
        for data in loader:
            results = model.test_step(data)
            anns += to_annotations(results, cat_ids, args.score_thr,
                                   args.keep_top1, first_id=len(anns) + 1)
            if bar is not None:
                for _ in results:
                    bar.update()

    out = {k: split[k] for k in ('info', 'licenses') if k in split}
    out.update(
        images=split['images'],
        categories=split['categories'],
        annotations=anns,
        pseudo_label_info=dict(
            config=args.config,
            checkpoint=args.checkpoint,
            source_ann_file=args.ann_file,
            score_thr=args.score_thr,
            keep_top1=args.keep_top1))
    atomic_write_json(out, args.out)
    labelled = len({a['image_id'] for a in anns})
    print(f'\n{len(anns)} pseudo-boxes on {labelled} of '
          f'{len(split["images"])} images -> {args.out}')


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f'error: {e}')
