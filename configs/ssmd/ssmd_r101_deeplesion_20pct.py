_base_ = './ssmd_r50_deeplesion_20pct.py'

model = dict(detector=dict(backbone=_base_.r101_backbone))
