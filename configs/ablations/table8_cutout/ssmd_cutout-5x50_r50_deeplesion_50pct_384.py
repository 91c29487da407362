# DeepLesion, Table 8, cutout with 5 holes of 50 px (CSD cost), 384x384.
_base_ = [
    '../../_base_/models/ssmd_csd_cost_no_cutout_deeplesion.py',
    '../../_base_/datasets/deeplesion_semi_50pct_384.py',
    '../../_base_/schedules/ssmd_adam_100e_deeplesion.py',
    '../../_base_/ssmd_runtime_deeplesion.py'
]

model = dict(semi_train_cfg=dict(cutout_holes=5, cutout_size=50))
