# Fig. 4: SSMD, ResNet-50, DSB 2018, 50% labeled, 384x384.
_base_ = [
    '../_base_/models/ssmd_retinanet_r50_fpn.py',
    '../_base_/datasets/dsb2018_semi_50pct_384.py',
    '../_base_/schedules/iter_adam_100e.py',
    '../_base_/ssmd_runtime.py'
]
