_base_ = './focalmix_r50_dsb_20pct.py'

model = dict(backbone=_base_.r101_backbone)
