# Table 8, cutout with 7 holes of 50 px (CSD cost), 448x448.
_base_ = '../table2_incremental/ssmd_csd-cost_r50_dsb_50pct_448.py'

model = dict(semi_train_cfg=dict(cutout_holes=7, cutout_size=50))
