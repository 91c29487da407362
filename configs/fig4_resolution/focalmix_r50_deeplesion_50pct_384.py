# Fig. 4: FocalMix, RetinaNet-R50, DeepLesion, 50% labeled, 384x384.
_base_ = [
    '../_base_/models/focalmix_retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_semi_50pct_384.py',
    '../_base_/schedules/focalmix_adam_200e_deeplesion.py',
    '../_base_/iter_runtime_deeplesion.py'
]
