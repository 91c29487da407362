# RetinaNet-R50-FPN for one class (nucleus), five pyramid levels with nine
# default anchors each, as in the paper. DSB images hold up to several
# hundred nuclei: keep more detections than mmdet's default 100.
_base_ = 'mmdet::_base_/models/retinanet_r50_fpn.py'

model = dict(
    bbox_head=dict(num_classes=1),
    test_cfg=dict(nms_pre=2000, max_per_img=1000))

# The ResNet-101 variant of every leaf: model.backbone (or
# model.detector.backbone) = r101_backbone.
r101_backbone = dict(
    depth=101,
    init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101'))

# A single detector: no method hooks, the plain loops (metrics coco/...).
# Method bases (SSMD, mean teacher) replace these next to their model.
custom_hooks = []
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
