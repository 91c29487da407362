# Fig. 4: supervised, ResNet-101, DeepLesion, 50% labeled, 448x448 (slices
# resampled to 0.802 * 512 / 448 mm per pixel).
_base_ = './supervised_r50_deeplesion_50pct_448.py'

model = dict(backbone=_base_.r101_backbone)
