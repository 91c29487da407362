from .ssmd import SSMD

__all__ = ['SSMD']
