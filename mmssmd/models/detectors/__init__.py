from .csd import CSD
from .focalmix import FocalMix
from .ssmd import SSMD
from .symmetric_ssmd import SymmetricSSMD

__all__ = ['CSD', 'FocalMix', 'SSMD', 'SymmetricSSMD']
