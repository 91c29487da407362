# DeepLesion, Table 5, IAP with xi=1e-7, eps=2.0 (tau 0.95) on the
# CSD-cost student-teacher without NRB or cutout, 448x448.
_base_ = '../table3_adaptive_cost/ssmd_csd-cost_r50_deeplesion_50pct_448.py'

custom_hooks = [
    _base_.ema_hook,
    dict(_base_.adversarial_hook, xi=1e-7, eps=2.0)
]
