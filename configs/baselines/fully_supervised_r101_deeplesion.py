_base_ = './fully_supervised_r50_deeplesion.py'

model = dict(backbone=_base_.r101_backbone)
