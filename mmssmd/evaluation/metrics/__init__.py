from .dense_coco_metric import DenseCocoMetric
from .deeplesion_froc_metric import DeepLesionFROCMetric

__all__ = ['DenseCocoMetric', 'DeepLesionFROCMetric']
