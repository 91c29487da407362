# Fig. 4: mmdet mean teacher, ResNet-101, DSB 2018, 50% labeled, 512x512.
_base_ = './mean_teacher_r50_dsb_50pct_512.py'

model = dict(detector=dict(backbone=_base_.r101_backbone))
