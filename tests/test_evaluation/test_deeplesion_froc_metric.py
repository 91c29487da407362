"""DeepLesionFROCMetric and the FROC functions, checked against hand work.

Hand-worked example (all images 100x100, boxes x1, y1, x2, y2):

image 1 (A): lesions a1 = [0, 0, 10, 10], a2 = [50, 50, 70, 70]
    0.90 [0, 0, 10, 10]   hits a1 (IoU 1)
    0.80 [0, 0, 10, 5]    IoU with a1 = 50 / 100 = 0.5 >= 0.5: a duplicate
                          on the hit a1, NOT a false positive
    0.50 [80, 80, 90, 90] FP
    0.30 [80, 0, 90, 10]  FP
    0.10 [50, 50, 70, 70] hits a2
image 2 (B): lesion b1 = [10, 10, 30, 30]; b2 = [60, 60, 80, 80] is noisy
    0.70 [60, 60, 80, 80] only on the removed (noisy) b2: FP by default
    0.60 [10, 10, 30, 30] hits b1
    0.45 [0, 0, 5, 5]     FP
image 3 (C): lesions c1 = [20, 20, 40, 40], c2 = [21, 20, 41, 40],
             c3 = [70, 0, 90, 20] (never found)
    0.65 [0, 80, 10, 90]  FP
    0.40 [20, 20, 41, 40] IoU 400/420 with c1 and with c2: hits both
    0.20 [0, 40, 10, 50]  FP
image 4 (D): its only lesion [0, 0, 20, 20] is noisy: the image is dropped
    0.95 [50, 50, 60, 60], 0.85 [0, 0, 20, 20], 0.05 [30, 30, 40, 40]
    (would be 2 FPs + 1 on a noisy lesion if it counted)

3 images, 6 lesions (a1 a2 b1 c1 c2 c3). Walk (FP/image, sensitivity):
    start        (0, 0)
    0.90 hit a1  (0, 1/6)      0.50 FP      (1, 2/6)
    0.80 dup a1  (0, 1/6)      0.45 FP      (4/3, 2/6)
    0.70 FP      (1/3, 1/6)    0.40 c1+c2   (4/3, 4/6)
    0.65 FP      (2/3, 1/6)    0.30 FP      (5/3, 4/6)
    0.60 hit b1  (2/3, 2/6)    0.20 FP      (2, 4/6)
                               0.10 hit a2  (2, 5/6)   <- end of the curve
sens@0.5 = 1/6 (flat between 1/3 and 2/3); sens@1 = 2/6 (the point at 1);
sens@2 = 5/6 (top of the rise at 2); 4, 8, 16 lie past the end (2 FP/image):
the last value 5/6 is held. mean = (1/6 + 2/6 + 4 * 5/6) / 6 = 23/36.
Counting the duplicate as a FP would move the last rise to 7/3 and give
sens@2 = 4/6; counting image D would end the curve at 9/4.

With ignore_noisy_matches=True the 0.70 detection leaves the walk:
(1/3, 1/6) 0.65 FP, (1/3, 2/6) b1, (2/3, 2/6), (1, 2/6), (1, 4/6) c1+c2,
(4/3, 4/6), (5/3, 4/6), (5/3, 5/6) a2: sens@0.5 = 2/6, sens@1 = 4/6, then 5/6.
"""
import json
import os

import numpy as np
import pytest
import torch
from mmdet.registry import METRICS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData

from mmssmd.evaluation import (DeepLesionFROCMetric, froc_curve,
                               sensitivity_at_fps, thin_curve)
from mmssmd.evaluation.metrics import deeplesion_froc_metric as dl_module

from conftest import load_tool

plot_tool = load_tool('analysis/plot_froc.py')

FPS = (0.5, 1, 2, 4, 8, 16)
KEYS = ['sens@0.5fp', 'sens@1fp', 'sens@2fp', 'sens@4fp', 'sens@8fp',
        'sens@16fp']
EXPECTED = [1 / 6, 2 / 6, 5 / 6, 5 / 6, 5 / 6, 5 / 6]
EXPECTED_IGNORE = [2 / 6, 4 / 6, 5 / 6, 5 / 6, 5 / 6, 5 / 6]

# img_id -> (clean lesions, noisy lesions, [(score, box), ...])
EXAMPLE = {
    1: ([[0, 0, 10, 10], [50, 50, 70, 70]], [],
        [(0.90, [0, 0, 10, 10]), (0.80, [0, 0, 10, 5]),
         (0.50, [80, 80, 90, 90]), (0.30, [80, 0, 90, 10]),
         (0.10, [50, 50, 70, 70])]),
    2: ([[10, 10, 30, 30]], [[60, 60, 80, 80]],
        [(0.70, [60, 60, 80, 80]), (0.60, [10, 10, 30, 30]),
         (0.45, [0, 0, 5, 5])]),
    3: ([[20, 20, 40, 40], [21, 20, 41, 40], [70, 0, 90, 20]], [],
        [(0.65, [0, 80, 10, 90]), (0.40, [20, 20, 41, 40]),
         (0.20, [0, 40, 10, 50])]),
    4: ([], [[0, 0, 20, 20]],
        [(0.95, [50, 50, 60, 60]), (0.85, [0, 0, 20, 20]),
         (0.05, [30, 30, 40, 40])]),
}


def write_ann_file(path, example=EXAMPLE, size=(100, 100)):
    """COCO json as the converter writes it: xywh boxes, a `noisy` flag."""
    images, anns = [], []
    for img_id, (clean, noisy, _) in example.items():
        images.append(dict(id=img_id, file_name=f'{img_id}.png',
                           height=size[0], width=size[1]))
        for box, flag in [(b, 0) for b in clean] + [(b, 1) for b in noisy]:
            x1, y1, x2, y2 = box
            anns.append(dict(id=len(anns) + 1, image_id=img_id, category_id=1,
                             bbox=[x1, y1, x2 - x1, y2 - y1],
                             area=(x2 - x1) * (y2 - y1), iscrowd=0,
                             noisy=flag))
    path.write_text(json.dumps(dict(
        images=images, annotations=anns,
        categories=[dict(id=1, name='lesion')])))
    return str(path)


def make_samples(example=EXAMPLE, with_gt=True, order=None, rng=None,
                 shape=(100, 100)):
    """DetDataSamples (predictions in original coordinates) of the example.

    Args:
        order: image ids in the order to emit; rng: shuffles detections.
    """
    samples = []
    for img_id in order or list(example):
        clean, noisy, dets = example[img_id]
        dets = list(dets)
        if rng is not None:
            rng.shuffle(dets)
        s = DetDataSample(metainfo=dict(img_id=img_id, ori_shape=shape,
                                        img_shape=shape))
        s.pred_instances = InstanceData(
            bboxes=torch.tensor([d[1] for d in dets],
                                dtype=torch.float32).reshape(-1, 4),
            scores=torch.tensor([d[0] for d in dets], dtype=torch.float32),
            labels=torch.zeros(len(dets), dtype=torch.long))
        if with_gt:
            # as PackDetInputs packs LoadAnnotations' output: kept lesions
            # in gt_instances, ignore_flag=1 (noisy) in ignored_instances
            s.gt_instances = InstanceData(
                bboxes=HorizontalBoxes(
                    torch.tensor(clean, dtype=torch.float32).reshape(-1, 4)),
                labels=torch.zeros(len(clean), dtype=torch.long))
            s.ignored_instances = InstanceData(
                bboxes=HorizontalBoxes(
                    torch.tensor(noisy, dtype=torch.float32).reshape(-1, 4)),
                labels=torch.zeros(len(noisy), dtype=torch.long))
        samples.append(s)
    return samples


def run_evaluator(metric, samples, batch_size=2):
    """Drive the metric as mmengine's val/test loop does."""
    evaluator = Evaluator(metric)
    evaluator.dataset_meta = dict(classes=('lesion', ))
    for i in range(0, len(samples), batch_size):
        evaluator.process(data_samples=samples[i:i + batch_size],
                          data_batch=dict())
    return evaluator.evaluate(len(samples))


def example_lists(example=EXAMPLE, drop=(4, )):
    """The example as per-image arrays for froc_curve (image 4 dropped)."""
    ids = [i for i in example if i not in drop]
    dets = [np.array([d[1] for d in example[i][2]], float) for i in ids]
    scores = [np.array([d[0] for d in example[i][2]]) for i in ids]
    gts = [np.array(example[i][0], float).reshape(-1, 4) for i in ids]
    noisy = [np.array(example[i][1], float).reshape(-1, 4) for i in ids]
    return dets, scores, gts, noisy


def check(results, expected, prefix='deeplesion'):
    for key, value in zip(KEYS, expected):
        assert results[f'{prefix}/{key}'] == pytest.approx(value, abs=1e-12)
    assert results[f'{prefix}/sensitivity_at_4fp'] == pytest.approx(
        expected[3], abs=1e-12)
    assert results[f'{prefix}/mean_sens'] == pytest.approx(
        np.mean(expected), abs=1e-12)


# ---------------------------------------------------------------- functional


def test_curve_of_hand_worked_example():
    curve = froc_curve(*example_lists()[:3])
    assert curve.num_images == 3 and curve.num_lesions == 6
    assert curve.num_detections == 11
    # one point per distinct score, plus the start
    np.testing.assert_allclose(
        curve.fps_per_image,
        np.array([0, 0, 0, 1, 2, 2, 3, 4, 4, 5, 6, 6]) / 3)
    np.testing.assert_allclose(
        curve.sensitivity,
        np.array([0, 1, 1, 1, 1, 2, 2, 2, 4, 4, 4, 5]) / 6)
    np.testing.assert_allclose(
        curve.thresholds[1:],
        [.9, .8, .7, .65, .6, .5, .45, .4, .3, .2, .1])
    # 6 FPs: the duplicate at 0.80 is not one
    assert curve.end_fps * 3 == pytest.approx(6)
    np.testing.assert_allclose(sensitivity_at_fps(curve, FPS), EXPECTED)


def test_interpolation_knots_and_past_the_end():
    curve = froc_curve(*example_lists()[:3])
    # at a rise (4/3: 2/6 -> 4/6) the top counts; between points the curve
    # is flat after a FP; at and past the end (2) the last value is held
    q = [0, 1 / 3, 0.4, 4 / 3 - 1e-9, 4 / 3, 1.5, 2, 2.5, 100]
    np.testing.assert_allclose(
        sensitivity_at_fps(curve, q),
        [1 / 6, 1 / 6, 1 / 6, 2 / 6, 4 / 6, 4 / 6, 5 / 6, 5 / 6, 5 / 6])
    # linear extrapolation of the last two operating points would exceed
    # the held value and even 1
    assert sensitivity_at_fps(curve, [100])[0] == curve.end_sensitivity
    with pytest.raises(ValueError, match='>= 0'):
        sensitivity_at_fps(curve, [-1])


def test_ignored_noisy_matches_leave_the_walk():
    dets, scores, gts, noisy = example_lists()
    curve = froc_curve(dets, scores, gts, ignored_gt_bboxes=noisy)
    assert curve.num_ignored_detections == 1
    assert curve.num_detections == 10
    assert curve.end_fps == pytest.approx(5 / 3)
    np.testing.assert_allclose(sensitivity_at_fps(curve, FPS),
                               EXPECTED_IGNORE)


def test_tied_scores_mixing_a_hit_and_a_fp_are_one_operating_point():
    # 1 image, 1 lesion; a hit and a FP with the same score: no threshold
    # separates them, so the curve goes (0, 0) -> (1, 1) in one step and is
    # interpolated along it, whatever the order of the two detections
    gt = [np.array([[0, 0, 10, 10]], float)]
    for boxes in ([[0, 0, 10, 10], [50, 50, 60, 60]],
                  [[50, 50, 60, 60], [0, 0, 10, 10]]):
        curve = froc_curve([np.array(boxes, float)], [np.array([.5, .5])], gt)
        np.testing.assert_allclose(curve.fps_per_image, [0, 1])
        np.testing.assert_allclose(curve.sensitivity, [0, 1])
        np.testing.assert_allclose(
            sensitivity_at_fps(curve, [0.25, 0.5, 1, 2]), [.25, .5, 1, 1])


def test_image_without_lesions_counts_and_its_detections_are_fps():
    gts = [np.array([[0, 0, 10, 10]], float), np.zeros((0, 4))]
    dets = [np.array([[0, 0, 10, 10]], float),
            np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float)]
    curve = froc_curve(dets, [np.array([.9]), np.array([.8, .7])], gts)
    assert curve.num_images == 2 and curve.num_lesions == 1
    np.testing.assert_allclose(curve.fps_per_image, [0, 0, .5, 1])


def naive_walk(dets, scores, gts, thr=0.5):
    """The notes' walk, one detection at a time (distinct scores only)."""
    pooled = sorted(((s, i, b) for i, (bs, ss) in enumerate(zip(dets, scores))
                     for b, s in zip(bs, ss)), key=lambda t: -t[0])
    hit = [np.zeros(len(g), bool) for g in gts]
    total = sum(len(g) for g in gts)
    fp, pts = 0, [(0.0, 0.0)]
    for s, i, b in pooled:
        x1 = np.maximum(b[0], gts[i][:, 0])
        y1 = np.maximum(b[1], gts[i][:, 1])
        x2 = np.minimum(b[2], gts[i][:, 2])
        y2 = np.minimum(b[3], gts[i][:, 3])
        inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
        area = (b[2] - b[0]) * (b[3] - b[1])
        garea = (gts[i][:, 2] - gts[i][:, 0]) * (gts[i][:, 3] - gts[i][:, 1])
        ok = inter / (area + garea - inter) >= thr
        if ok.any():
            hit[i] |= ok
        else:
            fp += 1
        pts.append((fp / len(gts), sum(h.sum() for h in hit) / total))
    return np.array(pts)


def test_matches_a_naive_walk_on_random_data():
    rng = np.random.default_rng(0)
    for _ in range(5):
        dets, scores, gts = [], [], []
        for _ in range(6):
            g = rng.uniform(0, 80, (rng.integers(1, 4), 2))
            g = np.concatenate([g, g + rng.uniform(5, 20, g.shape)], 1)
            # jittered copies of the lesions (hits, duplicates, near misses)
            # and random boxes
            near = g[rng.integers(0, len(g), 6)] + rng.normal(0, 3, (6, 4))
            far = rng.uniform(0, 80, (4, 2))
            far = np.concatenate([far, far + rng.uniform(5, 20, (4, 2))], 1)
            d = np.concatenate([near, far])
            d[:, 2:] = np.maximum(d[:, 2:], d[:, :2] + 1)
            gts.append(g)
            dets.append(d)
            scores.append(rng.uniform(size=len(d)))
        curve = froc_curve(dets, scores, gts)
        ref = naive_walk(dets, scores, gts)
        np.testing.assert_allclose(curve.fps_per_image, ref[:, 0])
        np.testing.assert_allclose(curve.sensitivity, ref[:, 1])
        # thinning keeps the interpolated values everywhere
        thin = thin_curve(curve)
        assert len(thin['fps_per_image']) < len(curve.fps_per_image)
        q = np.linspace(0, curve.end_fps + 1, 97)
        thinned = type(curve)(thin['fps_per_image'], thin['sensitivity'],
                              thin['thresholds'], curve.num_images,
                              curve.num_lesions, curve.num_detections)
        np.testing.assert_allclose(sensitivity_at_fps(thinned, q),
                                   sensitivity_at_fps(curve, q))


def test_functional_errors():
    with pytest.raises(ValueError, match='no GT box'):
        froc_curve([np.zeros((0, 4))], [np.zeros(0)], [np.zeros((0, 4))])
    with pytest.raises(ValueError, match='shape'):
        froc_curve([np.zeros((2, 3))], [np.zeros(2)], [np.ones((1, 4))])
    with pytest.raises(ValueError, match='2 boxes but 1 scores'):
        froc_curve([np.zeros((2, 4))], [np.zeros(1)], [np.ones((1, 4))])
    with pytest.raises(ValueError, match='NaN'):
        froc_curve([np.zeros((1, 4))], [np.array([np.nan])],
                   [np.ones((1, 4))])


# -------------------------------------------------------------------- metric


def test_metric_from_ann_file_through_the_evaluator(tmp_path):
    ann = write_ann_file(tmp_path / 'test.json')
    metric = METRICS.build(dict(type='DeepLesionFROCMetric', ann_file=ann))
    results = run_evaluator(metric, make_samples(with_gt=False))
    check(results, EXPECTED)
    assert results['deeplesion/curve_end_fps'] == pytest.approx(2)
    assert list(results) == [f'deeplesion/{k}' for k in KEYS] + [
        'deeplesion/sensitivity_at_4fp', 'deeplesion/mean_sens',
        'deeplesion/curve_end_fps']
    assert results['deeplesion/mean_sens'] == pytest.approx(23 / 36)


def test_metric_from_data_sample_gt_and_process_evaluate(tmp_path):
    # the same through BaseMetric.process / evaluate(size) directly, with
    # the GT carried by the data samples (gt_instances / ignored_instances)
    metric = DeepLesionFROCMetric()
    samples = [s.to_dict() for s in make_samples()]
    metric.process({}, samples[:3])
    metric.process({}, samples[3:])
    results = metric.evaluate(size=len(samples))
    check(results, EXPECTED)
    assert metric.results == []  # evaluate resets


def test_ignore_noisy_matches_option(tmp_path):
    ann = write_ann_file(tmp_path / 'test.json')
    for kwargs in (dict(ann_file=ann), dict()):
        metric = DeepLesionFROCMetric(ignore_noisy_matches=True, **kwargs)
        results = run_evaluator(
            metric, make_samples(with_gt='ann_file' not in kwargs))
        check(results, EXPECTED_IGNORE)


def test_invariant_to_image_and_detection_order(tmp_path):
    ann = write_ann_file(tmp_path / 'test.json')
    rng = np.random.default_rng(1)
    # the example, and a variant with cross-image ties that mix a hit and a
    # FP: 0.65 -> 0.6 (C's FP ties with B's hit on b1) and 0.45 -> 0.4 (B's
    # FP ties with C's hit on c1+c2). The curve then goes (1/3, 1/6) ->
    # (2/3, 2/6) in one step, so sens@0.5 = 1/6 + 1/6 * (1/6) / (1/3) = 1/4
    # whatever the order; a walk recording a point after each detection
    # would give 1/6 or 2/6 depending on which of the tied pair came first.
    remap = {0.65: 0.6, 0.45: 0.4}
    tied = {k: (c, n, [(remap.get(s, s), b) for s, b in d])
            for k, (c, n, d) in EXAMPLE.items()}
    for example, expected in ((EXAMPLE, EXPECTED),
                              (tied, [1 / 4, 1 / 3] + [5 / 6] * 4)):
        ref = None
        for trial in range(6):
            order = list(rng.permutation(list(example)))
            metric = DeepLesionFROCMetric(ann_file=ann)
            results = run_evaluator(
                metric, make_samples(example, with_gt=False, order=order,
                                     rng=rng),
                batch_size=int(rng.integers(1, 4)))
            if ref is None:
                ref = results
            assert results == ref  # exactly equal, not approximately
        check(ref, expected)


def test_writes_json_and_png(tmp_path):
    ann = write_ann_file(tmp_path / 'test.json')
    prefix = tmp_path / 'out' / 'retinanet'
    metric = DeepLesionFROCMetric(ann_file=ann, outfile_prefix=str(prefix))
    results = run_evaluator(metric, make_samples(with_gt=False))
    record = json.loads((tmp_path / 'out' / 'retinanet.froc.json').read_text())
    assert record['num_images'] == 3 and record['num_lesions'] == 6
    assert record['images_dropped_all_noisy'] == 1
    assert record['noisy_lesions_removed'] == 2
    assert record['points']['fps_per_image'] == list(map(float, FPS))
    np.testing.assert_allclose(record['points']['sensitivity'], EXPECTED)
    assert record['metrics']['sensitivity_at_4fp'] == pytest.approx(5 / 6)
    # thinned curve: the repeated point (duplicate at 0.80) and the interior
    # points of the flat runs (at 1/3, 1 and 5/3 FP/image) are gone, the
    # corners stay
    np.testing.assert_allclose(
        record['curve']['fps_per_image'],
        np.array([0, 0, 2, 2, 4, 4, 6, 6]) / 3)
    np.testing.assert_allclose(
        record['curve']['sensitivity'],
        np.array([0, 1, 1, 2, 2, 4, 4, 5]) / 6)
    np.testing.assert_allclose(record['curve']['score_threshold'][1:],
                               [.9, .65, .6, .45, .4, .2, .1])
    assert record['curve']['score_threshold'][0] is None
    assert record['key_fp'] == 4.0
    assert results['deeplesion/sens@2fp'] == pytest.approx(5 / 6)
    assert os.listdir(tmp_path / 'out') == ['retinanet.froc.json']
    # the plot tool draws the dumped curve
    png = plot_tool.main([str(tmp_path / 'out' / 'retinanet.froc.json')])
    assert png == str(tmp_path / 'out' / 'retinanet.froc.png')
    assert open(png, 'rb').read(8) == b'\x89PNG\r\n\x1a\n'
    import matplotlib.image as mpimg
    assert mpimg.imread(png).shape[:2] == (450, 600)
    # the thinned curve it reads is the metric's curve (lossless)
    curve = plot_tool.curve_from_record(record)
    np.testing.assert_allclose(
        sensitivity_at_fps(curve, list(FPS)), EXPECTED)


@pytest.mark.parametrize('fail_at', ['record', 'serialise'])
def test_no_partial_file_on_error(tmp_path, monkeypatch, fail_at):
    ann = write_ann_file(tmp_path / 'test.json')
    out = tmp_path / 'out'
    out.mkdir()

    def boom(*args, **kwargs):
        if fail_at == 'record':
            raise OSError('disk full')
        # a value json cannot write: dump fails before opening the file
        return dict(fps_per_image=np.zeros(1), sensitivity=np.zeros(1),
                    thresholds=[object()])

    monkeypatch.setattr(dl_module, 'thin_curve', boom)
    metric = DeepLesionFROCMetric(ann_file=ann,
                                  outfile_prefix=str(out / 'run'))
    with pytest.raises((OSError, TypeError)):
        run_evaluator(metric, make_samples(with_gt=False))
    assert os.listdir(out) == []


def test_plot_tool_bad_input_names_the_file(tmp_path):
    bad = tmp_path / 'bad.froc.json'
    bad.write_text(json.dumps({'curve': {'fps_per_image': [0]}}))
    with pytest.raises(ValueError, match='bad.froc.json: not a '
                       'DeepLesionFROCMetric'):
        plot_tool.main([str(bad), '--out', str(tmp_path / 'x.png')])
    assert sorted(os.listdir(tmp_path)) == ['bad.froc.json']


def test_metric_errors(tmp_path):
    ann = write_ann_file(tmp_path / 'test.json')
    with pytest.raises(ValueError, match='needs ground truth'):
        DeepLesionFROCMetric().process({}, [
            s.to_dict() for s in make_samples(with_gt=False)])
    # predictions left in a resampled frame are caught by the frame check
    with pytest.raises(ValueError, match='test.json.*original coordinates'):
        run_evaluator(DeepLesionFROCMetric(ann_file=ann),
                      make_samples(with_gt=False, shape=(128, 128)))
    with pytest.raises(ValueError, match='no image with id 9'):
        run_evaluator(DeepLesionFROCMetric(ann_file=ann),
                      make_samples({9: EXAMPLE[1]}, with_gt=False))
    with pytest.raises(ValueError, match='evaluated twice'):
        run_evaluator(DeepLesionFROCMetric(ann_file=ann),
                      make_samples(with_gt=False, order=[1, 2, 1]))
    bad = json.loads((tmp_path / 'test.json').read_text())
    bad['annotations'][3]['bbox'] = [1, 2, 3]
    (tmp_path / 'bad.json').write_text(json.dumps(bad))
    with pytest.raises(ValueError, match=r'bad.json: annotations\[3\]'):
        DeepLesionFROCMetric(ann_file=str(tmp_path / 'bad.json'))
    with pytest.raises(ValueError, match='fps_per_image'):
        DeepLesionFROCMetric(fps_per_image=(0, 1))
    with pytest.raises(ValueError, match='duplicates'):
        DeepLesionFROCMetric(fps_per_image=(1, 1.0))


def test_custom_points_and_headline_key():
    metric = DeepLesionFROCMetric(fps_per_image=(1 / 3, 4 / 3), key_fp=2,
                                  prefix='dl')
    results = run_evaluator(metric, make_samples())
    assert metric.headline_key == 'sensitivity_at_2fp'
    assert results == pytest.approx({
        'dl/sens@0.333333fp': 1 / 6,
        'dl/sens@1.33333fp': 4 / 6,
        'dl/sensitivity_at_2fp': 5 / 6,
        'dl/mean_sens': 5 / 12,
        'dl/curve_end_fps': 2.0,
    })


def test_no_detection_at_all_gives_zero_and_still_plots(tmp_path):
    # the curve is the single point (0, 0): every FP/image point lies past
    # its end and holds 0
    empty = {k: (c, n, []) for k, (c, n, _) in EXAMPLE.items()}
    metric = DeepLesionFROCMetric(outfile_prefix=str(tmp_path / 'empty'))
    results = run_evaluator(metric, make_samples(empty))
    check(results, [0.0] * 6)
    assert results['deeplesion/curve_end_fps'] == 0.0
    record = json.loads((tmp_path / 'empty.froc.json').read_text())
    assert record['curve']['fps_per_image'] == [0.0]
    png = plot_tool.main([str(tmp_path / 'empty.froc.json'), '--out',
                          str(tmp_path / 'empty.png')])
    assert open(png, 'rb').read(4) == b'\x89PNG'


def test_frame_with_the_deeplesion_pipeline(tmp_path):
    """Predictions made in the network's input frame and mapped back the way
    mmdet's heads do with ``rescale=True`` land on the GT of both sources.

    The test split of the real-format fixture has 3 images: one with a clean
    and a noisy lesion, one with a clean lesion, one with only a noisy
    lesion (dropped). Predicting every lesion box (noisy ones too) gives
    sensitivity 1 with 1 FP (the noisy box) over 2 images: the curve ends at
    0.5 FP/image.
    """
    import copy

    from mmdet.registry import DATASETS
    from mmdet.structures.bbox import scale_boxes
    from mmengine.config import Config

    from conftest import REPO_ROOT
    from fixtures.deeplesion import write_converted_fixture

    root = tmp_path / 'deeplesion'
    root.mkdir()
    write_converted_fixture(root)
    cfg = Config.fromfile(
        REPO_ROOT / 'configs/_base_/datasets/deeplesion_detection.py')
    test_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    test_cfg.data_root = str(root) + '/'
    test_set = DATASETS.build(test_cfg)
    # the same images with the GT loaded before the resampling, i.e. in the
    # input frame a detector sees
    input_cfg = copy.deepcopy(test_cfg)
    input_cfg.pipeline = [t for t in cfg.train_pipeline if t['type'] in (
        'LoadAnnotations', 'LoadDeepLesionSlices', 'ResizeToSpacing', 'Pad',
        'PackDetInputs')]
    input_set = DATASETS.build(input_cfg)
    samples = []
    for i in range(len(test_set)):
        sample = test_set[i]['data_samples']
        seen = input_set[i]['data_samples']
        boxes = torch.cat([seen.gt_instances.bboxes.tensor,
                           seen.ignored_instances.bboxes.tensor])
        assert sample.metainfo['scale_factor'] != (1.0, 1.0)
        # BaseDenseHead._bbox_post_process with rescale=True
        pred = scale_boxes(
            boxes, [1 / s for s in sample.metainfo['scale_factor']])
        sample.pred_instances = InstanceData(
            bboxes=pred, scores=torch.linspace(0.9, 0.5, len(pred)),
            labels=torch.zeros(len(pred), dtype=torch.long))
        samples.append(sample)
    ann_file = str(root / 'annotations' / 'instances_test.json')
    for kwargs in (dict(), dict(ann_file=ann_file)):
        results = run_evaluator(DeepLesionFROCMetric(**kwargs), samples)
        check(results, [1.0] * 6)
        assert results['deeplesion/curve_end_fps'] == 0.5
