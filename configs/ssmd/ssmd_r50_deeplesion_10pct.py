# SSMD, RetinaNet-R50, DeepLesion with 10% of the official train split
# labeled (the rest unlabeled), 512x512.
_base_ = [
    '../_base_/models/ssmd_retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_semi.py',
    '../_base_/schedules/iter_adam_100e_deeplesion.py',
    '../_base_/ssmd_runtime_deeplesion.py'
]
