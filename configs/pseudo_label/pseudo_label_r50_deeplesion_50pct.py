# Pseudo-labeling stage 2 on DeepLesion, ResNet-50, 50% labeled.
_base_ = [
    '../_base_/models/retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_pseudo_label_50pct.py',
    '../_base_/schedules/iter_adam_100e_deeplesion.py',
    '../_base_/iter_runtime_deeplesion.py'
]
