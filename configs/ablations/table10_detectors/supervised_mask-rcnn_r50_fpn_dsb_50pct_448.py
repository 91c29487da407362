# Table 10's reference (not in the paper): Mask R-CNN R50-FPN trained on
# the labeled 50% only, DSB 2018, 448x448; tested on boxes and masks.
_base_ = [
    '../../_base_/models/mask-rcnn_r50_fpn_dsb.py',
    '../../_base_/datasets/dsb2018_instance_50pct_448.py',
    '../../_base_/schedules/adam_100e.py',
    '../../_base_/default_runtime.py'
]
