_base_ = './mean_teacher_r50_dsb_30pct.py'

model = dict(detector=dict(backbone=_base_.r101_backbone))
