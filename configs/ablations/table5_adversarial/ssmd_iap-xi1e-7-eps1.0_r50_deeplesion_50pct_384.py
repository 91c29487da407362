# DeepLesion, Table 5, IAP with xi=1e-7, eps=1.0 (tau 0.95) on the
# CSD-cost student-teacher without NRB or cutout, 384x384.
_base_ = [
    '../../_base_/models/ssmd_csd_cost_no_cutout_deeplesion.py',
    '../../_base_/datasets/deeplesion_semi_50pct_384.py',
    '../../_base_/schedules/ssmd_adam_100e_iap_deeplesion.py',
    '../../_base_/ssmd_runtime_deeplesion.py'
]

custom_hooks = [
    _base_.ema_hook,
    dict(_base_.adversarial_hook, xi=1e-7, eps=1.0)
]
