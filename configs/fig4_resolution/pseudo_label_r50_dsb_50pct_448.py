# Fig. 4: pseudo-labeling, ResNet-50, DSB 2018, 50% labeled, 448x448.
# Pseudo-labels of fig4_resolution/supervised_r50_dsb_50pct_448.py.
_base_ = [
    '../_base_/models/retinanet_r50_fpn_dsb.py',
    '../_base_/datasets/dsb2018_pseudo_label_50pct_448.py',
    '../_base_/schedules/iter_adam_100e.py',
    '../_base_/iter_runtime.py'
]
