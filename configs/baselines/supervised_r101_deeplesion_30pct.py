_base_ = './supervised_r50_deeplesion_30pct.py'

model = dict(backbone=_base_.r101_backbone)
