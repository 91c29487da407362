import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Dict, Optional, Sequence

from mmdet.datasets.api_wrappers import COCO
from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from mmengine.fileio import load
from mmengine.logging import MMLogger

from ..functional import DenseCOCOeval


@METRICS.register_module()
class DenseCocoMetric(CocoMetric):
    """COCO AP for crowded images, where more than 100 objects per image.

    mmdet's :class:`CocoMetric` hands ``proposal_nums`` to pycocotools as
    ``maxDets`` and reads ``COCOeval.stats``, whose ``mAP`` is computed at
    100 detections per image (and ``mAP_50`` at ``maxDets[2]``). A DSB image
    can hold several hundred nuclei, so AP at 100 detections is capped and
    the two numbers use different budgets. This metric evaluates with
    :class:`DenseCOCOeval` and reports every AP at ``max(max_dets)``.

    Args:
        max_dets (Sequence[int]): Detections per image kept by the
            evaluation. AP uses the largest; AR is reported at each.
            Defaults to (100, 300, 1000).
        metric_items (Sequence[str], optional): Keys to report among
            ``mAP, mAP_50, mAP_75, mAP_s, mAP_m, mAP_l, AR@n, AR_s@N,
            AR_m@N, AR_l@N``. Defaults to the six AP keys and AR at the
            largest ``max_dets``.
        **kwargs: The other arguments of :class:`CocoMetric` (``ann_file``,
            ``metric`` in ``'bbox'``/``'segm'``, ``classwise`` is not
            supported, ``format_only``, ``outfile_prefix``, ``prefix`` ...).

    Result keys are ``{metric}_{item}``, e.g. ``bbox_mAP`` (logged as
    ``coco/bbox_mAP`` with the default prefix), as in mmdet.
    """

    def __init__(self,
                 max_dets: Sequence[int] = (100, 300, 1000),
                 metric_items: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        if kwargs.get('classwise', False):
            raise ValueError('DenseCocoMetric does not support classwise')
        super().__init__(
            proposal_nums=sorted(max_dets), metric_items=None, **kwargs)
        for metric in self.metrics:
            if metric not in ('bbox', 'segm'):
                raise KeyError(f'DenseCocoMetric evaluates bbox and segm, '
                               f'not {metric!r}')
        self.max_dets = sorted(int(n) for n in max_dets)
        top = self.max_dets[-1]
        self.dense_metric_items = list(metric_items) if metric_items else [
            'mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', f'AR@{top}'
        ]

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute the metrics from processed results.

        Args:
            results (list): The processed results of each batch, pairs of
                (ground truth, prediction) as made by ``process``.

        Returns:
            Dict[str, float]: ``{metric}_{item}`` for each metric item.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        gts, preds = zip(*results)
        tmp_dir = None
        if self.outfile_prefix is None:
            tmp_dir = tempfile.TemporaryDirectory()
            outfile_prefix = osp.join(tmp_dir.name, 'results')
        else:
            outfile_prefix = self.outfile_prefix
        if self._coco_api is None:
            coco_json_path = self.gt_to_coco_json(
                gt_dicts=gts, outfile_prefix=outfile_prefix)
            self._coco_api = COCO(coco_json_path)
        if self.cat_ids is None:
            self.cat_ids = self._coco_api.get_cat_ids(
                cat_names=self.dataset_meta['classes'])
        if self.img_ids is None:
            self.img_ids = self._coco_api.get_img_ids()
        result_files = self.results2json(preds, outfile_prefix)

        eval_results = OrderedDict()
        if self.format_only:
            logger.info(f'results are saved in {osp.dirname(outfile_prefix)}')
            return eval_results
        for metric in self.metrics:
            logger.info(f'Evaluating {metric} at maxDets={self.max_dets}...')
            predictions = load(result_files[metric])
            if metric == 'segm':
                # the box would replace the mask area in the area ranges
                for pred in predictions:
                    pred.pop('bbox')
            if len(predictions) == 0:
                logger.warning(f'no {metric} prediction at all: AP is 0')
                for item in self.dense_metric_items:
                    eval_results[f'{metric}_{item}'] = 0.0
                continue
            coco_dt = self._coco_api.loadRes(predictions)
            coco_eval = DenseCOCOeval(self._coco_api, coco_dt, metric)
            coco_eval.params.catIds = self.cat_ids
            coco_eval.params.imgIds = self.img_ids
            coco_eval.params.maxDets = list(self.max_dets)
            coco_eval.params.iouThrs = self.iou_thrs
            coco_eval.evaluate()
            coco_eval.accumulate()
            stats = coco_eval.summarize()
            for item in self.dense_metric_items:
                if item not in stats:
                    raise KeyError(f'metric item {item!r} is not one of '
                                   f'{list(stats)}')
                eval_results[f'{metric}_{item}'] = round(stats[item], 4)
            logger.info(f'{metric} at maxDets={self.max_dets[-1]}: ' +
                        ' '.join(f'{k}={v:.4f}' for k, v in stats.items()))
        if tmp_dir is not None:
            tmp_dir.cleanup()
        return eval_results
