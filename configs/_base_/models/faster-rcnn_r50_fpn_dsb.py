# mmdet's Faster R-CNN R50-FPN (RPN with 3 anchors per position on P2-P6,
# RoIAlign, two shared FCs, mmdet's sampling) for one class (nucleus), for
# Table 10. DSB images hold up to several hundred nuclei: keep 1000
# detections, as the RetinaNet base does, from 2000 proposals. The ResNet
# starts from torchvision's weights (mmdet's base).
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

model = dict(
    roi_head=dict(bbox_head=dict(num_classes=1)),
    test_cfg=dict(
        rpn=dict(nms_pre=2000, max_per_img=2000),
        rcnn=dict(max_per_img=1000)))

# A single detector: no method hooks, the plain loops (metrics coco/...).
custom_hooks = []
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
