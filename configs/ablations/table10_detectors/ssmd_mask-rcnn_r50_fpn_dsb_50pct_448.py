# Table 10: SSMD on Mask R-CNN R50-FPN (the supervised mask loss on the
# converter's masks), DSB 2018, 50% labeled, 448x448; tested on boxes and
# masks.
_base_ = [
    '../../_base_/models/ssmd_mask-rcnn_r50_fpn.py',
    '../../_base_/datasets/dsb2018_semi_instance_50pct_448.py',
    '../../_base_/schedules/iter_adam_100e.py',
    '../../_base_/ssmd_runtime.py'
]
