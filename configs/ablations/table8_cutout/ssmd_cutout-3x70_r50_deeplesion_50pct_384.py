# DeepLesion, Table 8, cutout with 3 holes of 70 px (CSD cost), 384x384.
_base_ = '../table3_adaptive_cost/ssmd_csd-cost_r50_deeplesion_50pct_384.py'

model = dict(semi_train_cfg=dict(cutout_holes=3, cutout_size=70))
