# Fig. 4: CSD, ResNet-101, DSB 2018, 50% labeled, 384x384.
_base_ = './csd_r50_dsb_50pct_384.py'

model = dict(backbone=_base_.r101_backbone)
