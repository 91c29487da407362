from .dense_cocoeval import DenseCOCOeval
from .froc import FROCCurve, froc_curve, sensitivity_at_fps, thin_curve

__all__ = [
    'DenseCOCOeval', 'FROCCurve', 'froc_curve', 'sensitivity_at_fps',
    'thin_curve'
]
