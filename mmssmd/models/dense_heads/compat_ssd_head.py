from mmdet.models.dense_heads import SSDHead
from mmdet.registry import MODELS


@MODELS.register_module()
class CompatSSDHead(SSDHead):
    """mmdet's ``SSDHead`` that can predict under mmdet 3.3.

    Identical to ``SSDHead`` (same arguments, parameters, state-dict keys
    and losses), with ``loss_cls = None``: mmdet 3.3's
    ``BaseDenseHead._predict_by_feat_single`` reads
    ``self.loss_cls.custom_cls_channels``, an attribute ``SSDHead`` never
    defines, so a plain ``SSDHead`` fails at test time
    (open-mmlab/mmdetection#11780). Checkpoints of either load into the
    other.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.loss_cls = None
