# Table 10: SSMD on SSD (ResNet-50 + SSD512's neck and head), DSB 2018,
# 50% labeled, 448x448.
_base_ = [
    '../../_base_/models/ssmd_ssd_r50.py',
    '../../_base_/datasets/dsb2018_semi_50pct_448.py',
    '../../_base_/schedules/iter_adam_100e.py',
    '../../_base_/ssmd_runtime.py'
]
