# Table 10: SSMD on Mask R-CNN R50-FPN (the supervised mask loss on masks
# built from the RECIST diameters), DeepLesion, 50% labeled, 512x512.
_base_ = [
    '../../_base_/models/ssmd_mask-rcnn_r50_fpn_deeplesion.py',
    '../../_base_/datasets/deeplesion_semi_instance_50pct_512.py',
    '../../_base_/schedules/iter_adam_100e_deeplesion.py',
    '../../_base_/ssmd_runtime_deeplesion.py'
]
