# DeepLesion, Table 9, consistency on the 1 finest pyramid level(s).
_base_ = [
    '../../_base_/models/ssmd_retinanet_r50_fpn_deeplesion.py',
    '../../_base_/datasets/deeplesion_semi_50pct_512.py',
    '../../_base_/schedules/ssmd_adam_100e_iap_deeplesion.py',
    '../../_base_/ssmd_runtime_deeplesion.py'
]

model = dict(consistency_loss=dict(levels=(0,)))
