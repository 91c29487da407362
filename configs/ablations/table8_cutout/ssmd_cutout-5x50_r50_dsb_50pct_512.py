# Table 8, cutout with 5 holes of 50 px (CSD cost), 512x512.
_base_ = '../table3_adaptive_cost/ssmd_csd-cost_r50_dsb_50pct_512.py'

model = dict(semi_train_cfg=dict(cutout_holes=5, cutout_size=50))
