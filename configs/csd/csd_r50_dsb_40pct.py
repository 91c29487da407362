# Table 1 "CSD", ResNet-50, 40% labeled.
_base_ = [
    '../_base_/models/csd_retinanet_r50_fpn.py',
    '../_base_/datasets/dsb2018_semi_40pct.py',
    '../_base_/schedules/iter_adam_100e.py', '../_base_/iter_runtime.py'
]
