from .dense_coco_metric import DenseCocoMetric

__all__ = ['DenseCocoMetric']
