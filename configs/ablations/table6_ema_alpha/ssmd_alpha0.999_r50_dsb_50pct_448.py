# Table 6, EMA factor alpha = 0.999 (CSD cost, no cutout).
_base_ = [
    '../../_base_/models/ssmd_csd_cost_no_cutout.py',
    '../../_base_/datasets/dsb2018_semi_50pct_448.py',
    '../../_base_/schedules/ssmd_adam_100e.py',
    '../../_base_/ssmd_runtime.py'
]

custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.999, init='independent',
         buffers='ema')
]
