# Table 1 "CSD" on DeepLesion: RetinaNet-R50, 10% of the official train
# split labeled, the rest unlabeled, 512x512; 8 + 8 key slices per step.
_base_ = [
    '../_base_/models/csd_retinanet_r50_fpn_deeplesion.py',
    '../_base_/datasets/deeplesion_semi.py',
    '../_base_/schedules/iter_adam_100e_deeplesion.py',
    '../_base_/iter_runtime_deeplesion.py'
]
