# Fig. 4: CSD, ResNet-101, DeepLesion, 50% labeled, 512x512 (slices
# resampled to 0.802 * 512 / 512 mm per pixel).
_base_ = './csd_r50_deeplesion_50pct_512.py'

model = dict(backbone=_base_.r101_backbone)
