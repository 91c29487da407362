# Table 1 "Fully-supervised": RetinaNet-R50 on 100% of the DSB train split.
_base_ = [
    '../_base_/models/retinanet_r50_fpn_dsb.py',
    '../_base_/datasets/dsb2018_detection.py',
    '../_base_/schedules/adam_100e.py', '../_base_/default_runtime.py'
]
