# Pseudo-labeling stage 2, ResNet-50, 30% labeled.
_base_ = [
    '../_base_/models/retinanet_r50_fpn_dsb.py',
    '../_base_/datasets/dsb2018_pseudo_label_30pct.py',
    '../_base_/schedules/iter_adam_100e.py', '../_base_/iter_runtime.py'
]
