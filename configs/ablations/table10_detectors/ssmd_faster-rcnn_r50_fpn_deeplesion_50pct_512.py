# Table 10: SSMD on Faster R-CNN R50-FPN, DeepLesion, 50% labeled, 512x512.
_base_ = [
    '../../_base_/models/ssmd_faster-rcnn_r50_fpn_deeplesion.py',
    '../../_base_/datasets/deeplesion_semi_50pct_512.py',
    '../../_base_/schedules/iter_adam_100e_deeplesion.py',
    '../../_base_/ssmd_runtime_deeplesion.py'
]
