# Fig. 4: CSD, ResNet-101, DSB 2018, 50% labeled, 448x448.
_base_ = './csd_r50_dsb_50pct_448.py'

model = dict(backbone=_base_.r101_backbone)
