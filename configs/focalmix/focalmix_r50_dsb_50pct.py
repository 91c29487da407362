_base_ = [
    '../_base_/models/focalmix_retinanet_r50_fpn.py',
    '../_base_/datasets/dsb2018_semi_50pct.py',
    '../_base_/schedules/focalmix_adam_200e.py',
    '../_base_/iter_runtime.py'
]
