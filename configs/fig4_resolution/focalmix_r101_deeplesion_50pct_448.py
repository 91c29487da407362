_base_ = './focalmix_r50_deeplesion_50pct_448.py'

model = dict(backbone=_base_.r101_backbone)
