# Fig. 4: mmdet mean teacher, ResNet-101, DSB 2018, 50% labeled, 448x448.
_base_ = './mean_teacher_r50_dsb_50pct_448.py'

model = dict(detector=dict(backbone=_base_.r101_backbone))
