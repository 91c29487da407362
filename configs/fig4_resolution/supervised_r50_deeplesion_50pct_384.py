# Fig. 4: supervised, ResNet-50, DeepLesion, 50% labeled, 384x384 (slices
# resampled to 0.802 * 512 / 384 mm per pixel).
_base_ = [
    '../_base_/models/retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_detection_50pct_384.py',
    '../_base_/schedules/adam_100e.py',
    '../_base_/default_runtime.py'
]

default_hooks = dict(
    checkpoint=dict(save_best='deeplesion/sensitivity_at_4fp', rule='greater'))
