# Table 3, without the adaptive cost (CSD's cost), 512x512.
_base_ = [
    '../../_base_/models/ssmd_csd_cost_no_cutout.py',
    '../../_base_/datasets/dsb2018_semi_50pct_512.py',
    '../../_base_/schedules/iter_adam_100e.py',
    '../../_base_/ssmd_runtime.py'
]
