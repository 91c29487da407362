# Fig. 4: supervised, ResNet-50, DSB 2018, 50% labeled, 512x512.
_base_ = [
    '../_base_/models/retinanet_r50_fpn_dsb.py',
    '../_base_/datasets/dsb2018_detection_50pct_512.py',
    '../_base_/schedules/adam_100e.py',
    '../_base_/default_runtime.py'
]
