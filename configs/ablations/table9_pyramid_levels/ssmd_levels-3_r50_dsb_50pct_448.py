# Table 9, consistency on the 3 finest pyramid level(s).
_base_ = [
    '../../_base_/models/ssmd_retinanet_r50_fpn.py',
    '../../_base_/datasets/dsb2018_semi_50pct_448.py',
    '../../_base_/schedules/ssmd_adam_100e_iap.py',
    '../../_base_/ssmd_runtime.py'
]

model = dict(consistency_loss=dict(levels=(0, 1, 2)))
