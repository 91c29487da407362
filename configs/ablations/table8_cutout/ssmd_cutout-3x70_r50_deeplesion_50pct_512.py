# DeepLesion, Table 8, cutout with 3 holes of 70 px (CSD cost), 512x512.
_base_ = '../table2_incremental/ssmd_csd-cost_r50_deeplesion_50pct_512.py'

model = dict(semi_train_cfg=dict(cutout_holes=3, cutout_size=70))
