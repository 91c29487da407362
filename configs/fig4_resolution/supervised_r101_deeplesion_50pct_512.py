# Fig. 4: supervised, ResNet-101, DeepLesion, 50% labeled, 512x512 (slices
# resampled to 0.802 * 512 / 512 mm per pixel).
_base_ = './supervised_r50_deeplesion_50pct_512.py'

model = dict(backbone=_base_.r101_backbone)
