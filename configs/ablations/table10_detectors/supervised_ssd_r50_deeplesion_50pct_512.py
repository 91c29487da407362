# Table 10's reference (not in the paper): the SSD of the SSMD row without
# noisy residual blocks, trained on the labeled 50% only, DeepLesion,
# 512x512.
_base_ = [
    '../../_base_/models/ssd_r50_deeplesion.py',
    '../../_base_/datasets/deeplesion_detection_50pct_512.py',
    '../../_base_/schedules/adam_100e.py',
    '../../_base_/default_runtime.py'
]

default_hooks = dict(
    checkpoint=dict(save_best='deeplesion/sensitivity_at_4fp', rule='greater'))
