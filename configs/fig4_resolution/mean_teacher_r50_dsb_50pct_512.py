# Fig. 4: mmdet mean teacher, ResNet-50, DSB 2018, 50% labeled, 512x512.
_base_ = [
    '../_base_/models/mean_teacher_retinanet_r50_fpn.py',
    '../_base_/datasets/dsb2018_semi_mean_teacher_50pct_512.py',
    '../_base_/schedules/iter_adam_100e.py',
    '../_base_/mean_teacher_runtime.py'
]
