# Fig. 4: CSD, ResNet-50, DSB 2018, 50% labeled, 640x640.
_base_ = [
    '../_base_/models/csd_retinanet_r50_fpn.py',
    '../_base_/datasets/dsb2018_semi_50pct_640.py',
    '../_base_/schedules/iter_adam_100e.py',
    '../_base_/iter_runtime.py'
]
