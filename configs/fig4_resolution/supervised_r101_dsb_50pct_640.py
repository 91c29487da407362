# Fig. 4: supervised, ResNet-101, DSB 2018, 50% labeled, 640x640.
_base_ = './supervised_r50_dsb_50pct_640.py'

model = dict(backbone=_base_.r101_backbone)
