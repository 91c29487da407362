from .csd import CSD
from .focalmix import FocalMix
from .semi_single_stage import SemiSingleStageDetector
from .ssmd import SSMD
from .two_stage_ssmd import TwoStageSSMD

__all__ = ['CSD', 'FocalMix', 'SemiSingleStageDetector', 'SSMD',
           'TwoStageSSMD']
