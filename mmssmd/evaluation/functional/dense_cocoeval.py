"""COCO box/mask evaluation with any ``maxDets``, summarised correctly.

pycocotools' ``COCOeval.summarize()`` only works with the default
``maxDets = [1, 10, 100]``: AP is looked up at the value ``100`` (and is -1
when 100 is not in the list), while AP50/AP75/APs.. use ``maxDets[2]``.
With mmdet's ``proposal_nums=(100, 300, 1000)`` the reported ``mAP`` is at 100
detections and ``mAP_50`` at 1000. DSB images hold several hundred nuclei,
so AP at 100 detections is capped far below 1 and the numbers disagree.

:class:`DenseCOCOeval` keeps pycocotools' matching and accumulation and only
replaces the summary: every AP is read at the largest ``maxDets`` and AR at
each ``maxDets``, by index into ``eval['precision']`` / ``eval['recall']``.
"""
from collections import OrderedDict
from typing import Dict, Optional

import numpy as np
from pycocotools.cocoeval import COCOeval

AREA_NAMES = ('all', 'small', 'medium', 'large')


class DenseCOCOeval(COCOeval):
    """:class:`COCOeval` whose summary honours arbitrary ``params.maxDets``.

    After ``evaluate()`` and ``accumulate()``, ``summarize()`` fills
    ``self.stats_dict`` (and ``self.stats`` in pycocotools' order, with the
    AR entries at each ``maxDets``) and prints a table naming the ``maxDets``
    each number uses.
    """

    def _mean_precision(self, iou_thr: Optional[float], area: str,
                        max_det: int) -> float:
        """Mean of ``eval['precision'][T, R, K, A, M]`` over valid entries.

        Args:
            iou_thr (float, optional): One IoU threshold, or None for all.
            area (str): One of ``AREA_NAMES``.
            max_det (int): A value of ``params.maxDets``.

        Returns:
            float: The AP, or -1 when there is no valid entry (no GT).
        """
        p = self.params
        s = self.eval['precision']
        a = list(p.areaRngLbl).index(area)
        m = list(p.maxDets).index(max_det)
        if iou_thr is not None:
            t = np.where(np.isclose(p.iouThrs, iou_thr))[0]
            s = s[t]
        s = s[:, :, :, a, m]
        s = s[s > -1]
        return float(np.mean(s)) if s.size else -1.0

    def _mean_recall(self, area: str, max_det: int) -> float:
        """Mean of ``eval['recall'][T, K, A, M]`` over valid entries."""
        p = self.params
        r = self.eval['recall']
        r = r[:, :, list(p.areaRngLbl).index(area),
              list(p.maxDets).index(max_det)]
        r = r[r > -1]
        return float(np.mean(r)) if r.size else -1.0

    def summarize(self) -> Dict[str, float]:
        """Compute and print the summary at the configured ``maxDets``.

        Returns:
            dict: ``mAP``, ``mAP_50``, ``mAP_75``, ``mAP_s``, ``mAP_m``,
            ``mAP_l`` (all at the largest ``maxDets``) and ``AR@n`` for each
            ``n`` in ``maxDets`` plus ``AR_s@N``, ``AR_m@N``, ``AR_l@N`` at the
            largest ``N``.
        """
        if not self.eval:
            raise RuntimeError('Please run accumulate() first')
        if self.params.iouType == 'keypoints':
            raise NotImplementedError('DenseCOCOeval summarises boxes and '
                                      'masks only')
        max_dets = sorted(self.params.maxDets)
        top = max_dets[-1]
        stats = OrderedDict()
        stats['mAP'] = self._mean_precision(None, 'all', top)
        stats['mAP_50'] = self._mean_precision(.5, 'all', top)
        stats['mAP_75'] = self._mean_precision(.75, 'all', top)
        for short, area in zip('sml', AREA_NAMES[1:]):
            stats[f'mAP_{short}'] = self._mean_precision(None, area, top)
        for n in max_dets:
            stats[f'AR@{n}'] = self._mean_recall('all', n)
        for short, area in zip('sml', AREA_NAMES[1:]):
            stats[f'AR_{short}@{top}'] = self._mean_recall(area, top)
        self.stats_dict = stats
        self.stats = np.array(list(stats.values()))
        for key, value in stats.items():
            max_det = key.split('@')[1] if '@' in key else top
            print(f' {key:<10} (maxDets={max_det:>4}) = {value:0.4f}')
        return stats
