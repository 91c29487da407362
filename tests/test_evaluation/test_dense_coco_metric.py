"""DenseCocoMetric on crowded images (more than 100 objects per image).

Hand-worked case: image 1 has 150 GT boxes, image 2 has 110. Detections: an
exact box on 120 GTs of image 1 and on all 110 of image 2, all scored above
30 false positives (boxes far from any GT). Pooled over images, precision is
1 up to recall 230/260 = 0.885 and then 0, so with COCO's 101 recall points
AP = 89/101 at every IoU threshold (the boxes are exact). With only 100
detections per image, 200 of 260 GTs can be hit: AP@100 = 77/101.
"""
import json

import numpy as np
import pytest
import torch
from mmdet.evaluation import CocoMetric
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmssmd.evaluation import DenseCOCOeval, DenseCocoMetric

GT_PER_IMAGE = {1: 150, 2: 110}
HITS_PER_IMAGE = {1: 120, 2: 110}
NUM_FP = 30


def grid_boxes(n):
    """n disjoint 10x10 boxes (x1, y1, x2, y2) on a 20-px grid."""
    return np.array([[20 * (i % 15), 20 * (i // 15), 20 * (i % 15) + 10,
                      20 * (i // 15) + 10] for i in range(n)], np.float32)


@pytest.fixture
def crowded(tmp_path):
    images, anns = [], []
    for img_id, n in GT_PER_IMAGE.items():
        images.append(dict(id=img_id, file_name=f'{img_id}.png', width=400,
                           height=400))
        for box in grid_boxes(n):
            x1, y1, x2, y2 = box.tolist()
            anns.append(dict(id=len(anns) + 1, image_id=img_id, category_id=1,
                             bbox=[x1, y1, x2 - x1, y2 - y1],
                             area=(x2 - x1) * (y2 - y1), iscrowd=0))
    ann_file = tmp_path / 'gt.json'
    ann_file.write_text(json.dumps(dict(
        info={}, images=images, annotations=anns,
        categories=[dict(id=1, name='nucleus')])))

    samples = []
    for img_id in GT_PER_IMAGE:
        hits = grid_boxes(HITS_PER_IMAGE[img_id])
        # TP scores in (0.5, 1]; FPs (image 1 only) far away, below them
        scores = np.linspace(1.0, 0.5, len(hits), dtype=np.float32)
        boxes = hits
        if img_id == 1:
            fps = np.array([[350, 350 + i, 360, 360 + i]
                            for i in range(NUM_FP)], np.float32)
            boxes = np.concatenate([hits, fps])
            scores = np.concatenate(
                [scores, np.linspace(0.4, 0.1, NUM_FP, dtype=np.float32)])
        samples.append(dict(
            img_id=img_id, ori_shape=(400, 400),
            pred_instances=dict(
                bboxes=torch.from_numpy(boxes),
                scores=torch.from_numpy(scores),
                labels=torch.zeros(len(boxes), dtype=torch.long))))
    return str(ann_file), samples


def evaluate(metric, samples):
    metric.dataset_meta = dict(classes=('nucleus', ))
    metric.process({}, samples)
    return metric.evaluate(size=len(samples))


def test_ap_at_top_max_dets_matches_hand_computation(crowded):
    ann_file, samples = crowded
    results = evaluate(
        DenseCocoMetric(ann_file=ann_file, max_dets=(100, 300, 1000),
                        metric_items=['mAP', 'mAP_50', 'mAP_75', 'mAP_s',
                                      'AR@100', 'AR@1000']), samples)
    assert results['coco/bbox_mAP'] == pytest.approx(89 / 101, abs=1e-4)
    assert results['coco/bbox_mAP_50'] == pytest.approx(89 / 101, abs=1e-4)
    assert results['coco/bbox_mAP_75'] == pytest.approx(89 / 101, abs=1e-4)
    assert results['coco/bbox_mAP_s'] == pytest.approx(89 / 101, abs=1e-4)
    assert results['coco/bbox_AR@100'] == pytest.approx(200 / 260, abs=1e-4)
    assert results['coco/bbox_AR@1000'] == pytest.approx(230 / 260, abs=1e-4)


def test_smaller_budget_caps_ap(crowded):
    ann_file, samples = crowded
    results = evaluate(DenseCocoMetric(ann_file=ann_file, max_dets=(100, )),
                       samples)
    assert results['coco/bbox_mAP'] == pytest.approx(77 / 101, abs=1e-4)


def test_mmdet_coco_metric_is_inconsistent_here(crowded):
    """Why the metric exists: mmdet's mAP uses 100 dets, mAP_50 uses 1000."""
    ann_file, samples = crowded
    results = evaluate(CocoMetric(ann_file=ann_file), samples)
    assert results['coco/bbox_mAP'] == pytest.approx(77 / 101, abs=1e-3)
    assert results['coco/bbox_mAP_50'] == pytest.approx(89 / 101, abs=1e-3)


def test_dense_cocoeval_agrees_with_pycocotools_arrays(crowded):
    """Same matching as pycocotools; only the summary is read differently."""
    ann_file, samples = crowded
    gt = COCO(ann_file)
    dets = []
    for s in samples:
        p = s['pred_instances']
        for box, score in zip(p['bboxes'].tolist(), p['scores'].tolist()):
            dets.append(dict(image_id=s['img_id'], category_id=1,
                             bbox=[box[0], box[1], box[2] - box[0],
                                   box[3] - box[1]], score=score))
    dt = gt.loadRes(dets)
    ref = COCOeval(gt, dt, 'bbox')
    ref.params.maxDets = [100, 300, 1000]
    ref.evaluate()
    ref.accumulate()
    ours = DenseCOCOeval(gt, dt, 'bbox')
    ours.params.maxDets = [100, 300, 1000]
    ours.evaluate()
    ours.accumulate()
    stats = ours.summarize()
    precision = ref.eval['precision'][:, :, :, 0, -1]
    assert stats['mAP'] == pytest.approx(precision[precision > -1].mean())
    # pycocotools' own summary reads AP at the value 100, not at maxDets[-1]
    ref.summarize()
    assert ref.stats[0] == pytest.approx(77 / 101, abs=1e-4)
    assert ref.stats[1] == pytest.approx(stats['mAP_50'])


def test_rejects_unsupported_options(tmp_path):
    with pytest.raises(KeyError):
        DenseCocoMetric(metric='proposal')
    with pytest.raises(ValueError):
        DenseCocoMetric(classwise=True)
