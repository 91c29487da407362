# Fig. 4: CSD, ResNet-101, DSB 2018, 50% labeled, 512x512.
_base_ = './csd_r50_dsb_50pct_512.py'

model = dict(backbone=_base_.r101_backbone)
