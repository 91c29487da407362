from .csd import CSD
from .focalmix import FocalMix
from .ssmd import SSMD

__all__ = ['CSD', 'FocalMix', 'SSMD']
