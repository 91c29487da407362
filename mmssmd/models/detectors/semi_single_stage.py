from typing import Tuple

from mmdet.models.detectors import SingleStageDetector
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig


class SemiSingleStageDetector(SingleStageDetector):
    """A one-network semi-supervised detector (CSD, FocalMix).

    A plain ``SingleStageDetector`` (same checkpoint keys, ``predict``)
    with a ``semi_train_cfg`` whose keys are checked against
    ``SEMI_TRAIN_KEYS``; subclasses implement ``loss`` on the
    ``'sup'``/``'unsup'`` batches of a ``MultiBranchDataPreprocessor``.

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): Neck config.
        bbox_head (dict, optional): Dense head config.
        train_cfg (dict, optional): The head's train config.
        test_cfg (dict, optional): The head's test config.
        semi_train_cfg (dict, optional): Options of the method; keys outside
            ``SEMI_TRAIN_KEYS`` raise a ``ValueError``.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    SEMI_TRAIN_KEYS: Tuple[str, ...] = ()

    def __init__(self,
                 backbone: ConfigType,
                 neck: OptConfigType = None,
                 bbox_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 semi_train_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(backbone=backbone,
                         neck=neck,
                         bbox_head=bbox_head,
                         train_cfg=train_cfg,
                         test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.semi_train_cfg = dict(semi_train_cfg or {})
        unknown = sorted(set(self.semi_train_cfg) - set(self.SEMI_TRAIN_KEYS))
        if unknown:
            raise ValueError(
                f'{type(self).__name__}: unknown semi_train_cfg keys '
                f'{unknown}; expected a subset of {self.SEMI_TRAIN_KEYS}')
