_base_ = './focalmix_r50_dsb_50pct_640.py'

model = dict(backbone=_base_.r101_backbone)
