# DSB 2018, Table 5, IAP with xi=5e-7, eps=3.0 (tau 0.95) on the
# CSD-cost student-teacher without NRB or cutout, 448x448.
_base_ = [
    '../../_base_/models/ssmd_csd_cost_no_cutout.py',
    '../../_base_/datasets/dsb2018_semi_50pct_448.py',
    '../../_base_/schedules/ssmd_adam_100e_iap.py',
    '../../_base_/ssmd_runtime.py'
]

custom_hooks = [
    _base_.ema_hook,
    dict(_base_.adversarial_hook, xi=5e-7, eps=3.0)
]
