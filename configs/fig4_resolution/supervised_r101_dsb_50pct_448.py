# Fig. 4: supervised, ResNet-101, DSB 2018, 50% labeled, 448x448.
_base_ = './supervised_r50_dsb_50pct_448.py'

model = dict(backbone=_base_.r101_backbone)
