# Table 10: SSMD on Faster R-CNN R50-FPN, DSB 2018, 50% labeled, 448x448.
_base_ = [
    '../../_base_/models/ssmd_faster-rcnn_r50_fpn.py',
    '../../_base_/datasets/dsb2018_semi_50pct_448.py',
    '../../_base_/schedules/iter_adam_100e.py',
    '../../_base_/ssmd_runtime.py'
]
