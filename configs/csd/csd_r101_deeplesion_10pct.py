_base_ = './csd_r50_deeplesion_10pct.py'

model = dict(backbone=_base_.r101_backbone)
