# The demo's small RetinaNet, as parts that a demo leaf merges into any
# method's detector (plain, SSMD's student/teacher, CSD, FocalMix, mmdet's
# mean teacher): a quarter-width ResNet-18 from scratch (no download), three
# pyramid levels (strides 8-32, anchors from 16 px for nuclei of 8-30 px)
# and a narrow head: about 0.15 s per supervised step of 4 images of
# 192 x 192 on one CPU core.
synth_backbone = dict(
    depth=18,
    base_channels=16,
    frozen_stages=-1,
    norm_eval=False,
    init_cfg=None)
synth_neck = dict(
    in_channels=[16, 32, 64, 128],
    out_channels=64,
    start_level=1,
    add_extra_convs=False,
    num_outs=3)
synth_bbox_head = dict(
    in_channels=64,
    feat_channels=64,
    stacked_convs=2,
    anchor_generator=dict(octave_base_scale=2, strides=[8, 16, 32]))
# the three merged into a RetinaNet: model = dict(**synth_detector), or
# model = dict(detector=synth_detector) inside a semi-supervised wrapper
synth_detector = dict(
    backbone=synth_backbone, neck=synth_neck, bbox_head=synth_bbox_head)
