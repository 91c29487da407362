# FocalMix, RetinaNet-R50, DeepLesion with 10% of the train split labeled
# (Table 1), 512x512, 200 epochs.
_base_ = [
    '../_base_/models/focalmix_retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_semi.py',
    '../_base_/schedules/focalmix_adam_200e_deeplesion.py',
    '../_base_/iter_runtime_deeplesion.py'
]
