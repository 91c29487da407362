_base_ = './focalmix_r50_deeplesion_50pct_384.py'

model = dict(backbone=_base_.r101_backbone)
