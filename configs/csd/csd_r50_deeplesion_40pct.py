# Table 1 "CSD" on DeepLesion, ResNet-50, 40% labeled.
_base_ = [
    '../_base_/models/csd_retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_semi_40pct.py',
    '../_base_/schedules/iter_adam_100e_deeplesion.py',
    '../_base_/iter_runtime_deeplesion.py'
]
