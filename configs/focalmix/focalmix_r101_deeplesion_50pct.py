_base_ = './focalmix_r50_deeplesion_50pct.py'

model = dict(backbone=_base_.r101_backbone)
