# DeepLesion, Table 2, ACC + noisy residual blocks; no cutout, 512x512.
_base_ = [
    '../../_base_/models/ssmd_retinanet_r50_fpn_deeplesion.py',
    '../../_base_/datasets/deeplesion_semi_50pct_512.py',
    '../../_base_/schedules/ssmd_adam_100e_deeplesion.py',
    '../../_base_/ssmd_runtime_deeplesion.py'
]

model = dict(semi_train_cfg=dict(cutout_holes=0))
