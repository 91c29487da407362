# Table 10: SSMD on SSD (ResNet-50 + SSD512's neck and head), DeepLesion,
# 50% labeled, 512x512.
_base_ = [
    '../../_base_/models/ssmd_ssd_r50_deeplesion.py',
    '../../_base_/datasets/deeplesion_semi_50pct_512.py',
    '../../_base_/schedules/iter_adam_100e_deeplesion.py',
    '../../_base_/ssmd_runtime_deeplesion.py'
]
