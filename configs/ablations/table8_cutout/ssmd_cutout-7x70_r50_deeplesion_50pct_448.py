# DeepLesion, Table 8, cutout with 7 holes of 70 px (CSD cost), 448x448.
_base_ = '../table3_adaptive_cost/ssmd_csd-cost_r50_deeplesion_50pct_448.py'

model = dict(semi_train_cfg=dict(cutout_holes=7, cutout_size=70))
