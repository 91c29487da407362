# Fig. 4: pseudo-labeling, ResNet-50, DeepLesion, 50% labeled, 512x512 (slices
# resampled to 0.802 * 512 / 512 mm per pixel).
# Pseudo-labels of fig4_resolution/supervised_r50_deeplesion_50pct_512.py.
_base_ = [
    '../_base_/models/retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_pseudo_label_50pct_512.py',
    '../_base_/schedules/iter_adam_100e_deeplesion.py',
    '../_base_/iter_runtime_deeplesion.py'
]
