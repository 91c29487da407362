# Fig. 4: supervised, ResNet-50, DeepLesion, 50% labeled, 448x448 (slices
# resampled to 0.802 * 512 / 448 mm per pixel).
_base_ = [
    '../_base_/models/retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_detection_50pct_448.py',
    '../_base_/schedules/adam_100e.py',
    '../_base_/default_runtime.py'
]

default_hooks = dict(
    checkpoint=dict(save_best='deeplesion/sensitivity_at_4fp', rule='greater'))
