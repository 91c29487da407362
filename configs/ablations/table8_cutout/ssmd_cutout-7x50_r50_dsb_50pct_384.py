# Table 8, cutout with 7 holes of 50 px (CSD cost), 384x384.
_base_ = [
    '../../_base_/models/ssmd_csd_cost_no_cutout.py',
    '../../_base_/datasets/dsb2018_semi_50pct_384.py',
    '../../_base_/schedules/ssmd_adam_100e.py',
    '../../_base_/ssmd_runtime.py'
]

model = dict(semi_train_cfg=dict(cutout_holes=7, cutout_size=50))
