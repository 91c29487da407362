# DSB 2018, Table 2, ACC + noisy residual blocks; no cutout, 448x448.
_base_ = [
    '../../_base_/models/ssmd_retinanet_r50_fpn.py',
    '../../_base_/datasets/dsb2018_semi_50pct_448.py',
    '../../_base_/schedules/ssmd_adam_100e.py',
    '../../_base_/ssmd_runtime.py'
]

model = dict(semi_train_cfg=dict(cutout_holes=0))
