_base_ = './csd_r50_dsb_30pct.py'

model = dict(backbone=_base_.r101_backbone)
