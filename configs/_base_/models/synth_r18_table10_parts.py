# The demo's small SSD, Faster R-CNN and Mask R-CNN (Table 10's detectors
# at the demo's scale), as parts that a demo leaf merges into its detector
# (plain, or SSMD's student / teacher), like ./synth_r18_parts.py for the
# RetinaNet: the same quarter-width ResNet-18 from scratch and narrow necks
# and heads, at 192 x 192.
_base_ = './synth_r18_parts.py'

# SSD: C3 and C4 (32 channels at stride 8, 64 at 16; no fourth stage) and
# two extra levels: maps 24, 12, 6, 3 at 192 px, so the anchor strides are
# 8, 16, 32, 64 (192 / map size: SSMD's flip pairing); anchors from 12 px
# for nuclei of 8-30 px.
synth_ssd_backbone = dict(
    _base_.synth_backbone,
    num_stages=3,
    strides=(1, 2, 2),
    dilations=(1, 1, 1),
    out_indices=(1, 2))
synth_ssd_channels = (32, 64, 64, 64)
synth_ssd_detector = dict(
    backbone=synth_ssd_backbone,
    neck=dict(
        in_channels=(32, 64),
        out_channels=synth_ssd_channels,
        level_strides=(2, 2),
        level_paddings=(1, 1),
        last_kernel_size=3),
    bbox_head=dict(
        in_channels=synth_ssd_channels,
        anchor_generator=dict(
            input_size=192,
            strides=[8, 16, 32, 64],
            min_sizes=[12, 24, 48, 96],
            max_sizes=[24, 48, 96, 144],
            ratios=[[2], [2, 3], [2, 3], [2]])))

# Faster R-CNN: the RetinaNet demo's three FPN levels (strides 8-32), RPN
# anchors of 2 strides (16-64 px) at three ratios, a narrow box head, 128
# sampled RoIs per image (mmdet's 512 are for COCO images of 1333 px; the
# demo's hold 5-40 nuclei).
synth_rcnn_strides = [8, 16, 32]
synth_faster_rcnn_detector = dict(
    backbone=_base_.synth_backbone,
    neck=dict(_base_.synth_neck, add_extra_convs=False),
    rpn_head=dict(
        in_channels=64,
        feat_channels=64,
        anchor_generator=dict(scales=[2], strides=synth_rcnn_strides)),
    roi_head=dict(
        bbox_roi_extractor=dict(
            out_channels=64, featmap_strides=synth_rcnn_strides),
        bbox_head=dict(in_channels=64, fc_out_channels=128)),
    train_cfg=dict(rcnn=dict(sampler=dict(num=128))))
# Mask R-CNN: the same with a narrow mask head (two convs)
synth_mask_rcnn_detector = dict(
    synth_faster_rcnn_detector,
    roi_head=dict(
        synth_faster_rcnn_detector['roi_head'],
        mask_roi_extractor=dict(
            out_channels=64, featmap_strides=synth_rcnn_strides),
        mask_head=dict(in_channels=64, conv_out_channels=64, num_convs=2)))
