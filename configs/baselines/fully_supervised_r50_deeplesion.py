# Table 1 "Fully-supervised" on DeepLesion: RetinaNet-R50 on 100% of the
# official train split, 512x512, evaluated by sensitivity at 4 FPs/image.
_base_ = [
    '../_base_/models/retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_detection.py',
    '../_base_/schedules/adam_100e.py', '../_base_/default_runtime.py'
]

default_hooks = dict(
    checkpoint=dict(save_best='deeplesion/sensitivity_at_4fp', rule='greater'))
