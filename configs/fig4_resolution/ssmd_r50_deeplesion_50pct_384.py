# Fig. 4: SSMD, ResNet-50, DeepLesion, 50% labeled, 384x384 (slices
# resampled to 0.802 * 512 / 384 mm per pixel).
_base_ = [
    '../_base_/models/ssmd_retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_semi_50pct_384.py',
    '../_base_/schedules/iter_adam_100e_deeplesion.py',
    '../_base_/ssmd_runtime_deeplesion.py'
]
