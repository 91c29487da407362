# SSD for one class (nucleus) with a ResNet-50 in place of VGG16 (Table 10;
# the paper does not name SSD's backbone): ResNet's C3 and C4 (512 channels
# at stride 8, 1024 at stride 16, the shapes of VGG16's conv4_3 and fc7;
# the fourth stage is not built) feed mmdet's SSD512 neck (five extra
# levels, L2-normalised first level) and head (softmax over nucleus and
# background; CompatSSDHead is mmdet's SSDHead that can predict under mmdet
# 3.3). At DSB's input of 448 px the seven maps are 56, 28, 14, 7, 4, 2, 1,
# so the anchor strides are 448 / map size (8 ... 448): every anchor centre
# then has its mirror image on the same level, which SSMD's flip pairing
# needs. Anchor sizes are SSD512's fractions of the input (4, 10, 26, ...,
# 90% of it, up to 10, 26, ..., 106%). DSB images hold up to several
# hundred nuclei: keep 1000 detections, as the RetinaNet base does. The
# input normalisation, the ResNet-50 (torchvision weights, frozen stem and
# first stage, frozen BN), no hooks and the plain loops are the RetinaNet
# base's.
_base_ = './retinanet_r50_fpn_dsb.py'

ssd_anchors_448 = dict(
    type='SSDAnchorGenerator',
    scale_major=False,
    input_size=448,
    strides=[8, 16, 32, 64, 112, 224, 448],
    min_sizes=[17, 44, 116, 188, 259, 331, 403],
    max_sizes=[44, 116, 188, 259, 331, 403, 474],
    ratios=[[2], [2, 3], [2, 3], [2, 3], [2, 3], [2], [2]])
# the same at 512 px (maps 64 ... 1): mmdet's SSD512 anchors
ssd_anchors_512 = dict(
    ssd_anchors_448,
    input_size=512,
    strides=[8, 16, 32, 64, 128, 256, 512],
    min_sizes=[20, 51, 133, 215, 296, 378, 460],
    max_sizes=[51, 133, 215, 296, 378, 460, 542])

ssd_channels = (512, 1024, 512, 256, 256, 256, 256)
model = dict(
    _delete_=True,
    type='SingleStageDetector',
    data_preprocessor=_base_.model.data_preprocessor,
    backbone=dict(
        _base_.model.backbone,
        num_stages=3,
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(1, 2)),
    neck=dict(
        type='SSDNeck',
        in_channels=(512, 1024),
        out_channels=ssd_channels,
        level_strides=(2, 2, 2, 2, 1),
        level_paddings=(1, 1, 1, 1, 1),
        l2_norm_scale=20,
        last_kernel_size=4),
    bbox_head=dict(
        type='CompatSSDHead',
        in_channels=ssd_channels,
        num_classes=1,
        anchor_generator=ssd_anchors_448,
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[0.1, 0.1, 0.2, 0.2])),
    # mmdet's SSD training: IoU 0.5 matching, hard negatives 3:1
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.5,
            min_pos_iou=0.0,
            ignore_iof_thr=-1,
            gt_max_assign_all=False),
        sampler=dict(type='PseudoSampler'),
        smoothl1_beta=1.0,
        allowed_border=-1,
        pos_weight=-1,
        neg_pos_ratio=3,
        debug=False),
    test_cfg=dict(
        nms_pre=2000,
        nms=dict(type='nms', iou_threshold=0.45),
        min_bbox_size=0,
        score_thr=0.02,
        max_per_img=1000))
