# mmdet's Mask R-CNN R50-FPN for one class (nucleus), for Table 10: as
# ./faster-rcnn_r50_fpn_dsb.py plus the supervised mask branch (RoIAlign 14,
# four convs, 28 x 28 masks), trained on the masks the DSB converter stores
# (DeepLesion: masks from the RECIST diameters,
# ../datasets/deeplesion_*instance_50pct_512.py). 1000 detections from 2000
# proposals, as the Faster R-CNN base. ClippedFCNMaskHead is mmdet's
# FCNMaskHead that clips boxes to the unpadded image before pasting masks
# (mmdet's CPU paste fails on a box that lies wholly in the padding, as
# DeepLesion's padded test pipeline can give).
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'

model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=1),
        mask_head=dict(type='ClippedFCNMaskHead', num_classes=1)),
    test_cfg=dict(
        rpn=dict(nms_pre=2000, max_per_img=2000),
        rcnn=dict(max_per_img=1000)))

# A single detector: no method hooks, the plain loops (metrics coco/...).
custom_hooks = []
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
