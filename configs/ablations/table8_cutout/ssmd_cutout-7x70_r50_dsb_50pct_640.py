# Table 8, cutout with 7 holes of 70 px (CSD cost), 640x640.
_base_ = '../table3_adaptive_cost/ssmd_csd-cost_r50_dsb_50pct_640.py'

model = dict(semi_train_cfg=dict(cutout_holes=7, cutout_size=70))
