# Fig. 4: SSMD, ResNet-101, DeepLesion, 50% labeled, 384x384 (slices
# resampled to 0.802 * 512 / 384 mm per pixel).
_base_ = './ssmd_r50_deeplesion_50pct_384.py'

model = dict(detector=dict(backbone=_base_.r101_backbone))
