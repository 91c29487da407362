_base_ = './csd_r50_dsb_40pct.py'

model = dict(backbone=_base_.r101_backbone)
