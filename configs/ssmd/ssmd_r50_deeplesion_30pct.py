_base_ = [
    '../_base_/models/ssmd_retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_semi_30pct.py',
    '../_base_/schedules/iter_adam_100e_deeplesion.py',
    '../_base_/ssmd_runtime_deeplesion.py'
]
