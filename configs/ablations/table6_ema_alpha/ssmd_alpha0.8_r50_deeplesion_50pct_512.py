# DeepLesion, Table 6, EMA factor alpha = 0.8 (CSD cost, no cutout).
_base_ = [
    '../../_base_/models/ssmd_csd_cost_no_cutout_deeplesion.py',
    '../../_base_/datasets/deeplesion_semi_50pct_512.py',
    '../../_base_/schedules/ssmd_adam_100e_deeplesion.py',
    '../../_base_/ssmd_runtime_deeplesion.py'
]

custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.8, init='independent',
         buffers='ema')
]
