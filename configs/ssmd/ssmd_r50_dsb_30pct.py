_base_ = [
    '../_base_/models/ssmd_retinanet_r50_fpn.py',
    '../_base_/datasets/dsb2018_semi_30pct.py',
    '../_base_/schedules/iter_adam_100e.py', '../_base_/ssmd_runtime.py'
]
