from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.registry import MODELS
from mmengine.config import ConfigDict
from torch import Tensor


@MODELS.register_module()
class ClippedFCNMaskHead(FCNMaskHead):
    """mmdet's ``FCNMaskHead`` whose boxes are clipped to the image before
    the masks are pasted.

    Identical to ``FCNMaskHead`` (arguments, weights, losses), except that
    at prediction each box is first clipped, in place, to the resized
    image before padding (``ori_shape * scale_factor``). mmdet clips
    detections to ``img_shape``, which ``Pad`` sets to the padded size, so
    a box can lie wholly in the padding, beyond the original image once
    rescaled; mmdet's CPU paste (``_do_paste_mask`` with ``skip_empty``)
    then builds an empty range with a negative step and fails. The clip
    also keeps the returned boxes inside the image.
    """

    def _predict_by_feat_single(self,
                                mask_preds: Tensor,
                                bboxes: Tensor,
                                labels: Tensor,
                                img_meta: dict,
                                rcnn_test_cfg: ConfigDict,
                                rescale: bool = False,
                                activate_map: bool = False) -> Tensor:
        """Clip ``bboxes`` (in place) to the unpadded image, then
        ``FCNMaskHead._predict_by_feat_single``."""
        height, width = img_meta['ori_shape'][:2]
        scale_w, scale_h = img_meta.get('scale_factor', (1., 1.))[:2]
        bboxes[:, 0::2] = bboxes[:, 0::2].clamp(0, width * scale_w)
        bboxes[:, 1::2] = bboxes[:, 1::2].clamp(0, height * scale_h)
        return super()._predict_by_feat_single(mask_preds, bboxes, labels,
                                               img_meta, rcnn_test_cfg,
                                               rescale, activate_map)
