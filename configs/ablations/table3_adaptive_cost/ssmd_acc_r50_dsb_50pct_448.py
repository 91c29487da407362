# Table 3, with the adaptive consistency cost, 448x448.
_base_ = [
    '../../_base_/models/ssmd_no_cutout.py',
    '../../_base_/datasets/dsb2018_semi_50pct_448.py',
    '../../_base_/schedules/iter_adam_100e.py',
    '../../_base_/ssmd_runtime.py'
]
