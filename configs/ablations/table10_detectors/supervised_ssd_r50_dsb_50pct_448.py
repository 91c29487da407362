# Table 10's reference (not in the paper): the SSD of the SSMD row without
# noisy residual blocks, trained on the labeled 50% only, DSB 2018, 448x448.
_base_ = [
    '../../_base_/models/ssd_r50_dsb.py',
    '../../_base_/datasets/dsb2018_detection_50pct_448.py',
    '../../_base_/schedules/adam_100e.py',
    '../../_base_/default_runtime.py'
]
