from .dense_cocoeval import DenseCOCOeval

__all__ = ['DenseCOCOeval']
