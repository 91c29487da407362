_base_ = [
    '../_base_/models/focalmix_retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_semi_30pct.py',
    '../_base_/schedules/focalmix_adam_200e_deeplesion.py',
    '../_base_/iter_runtime_deeplesion.py'
]
