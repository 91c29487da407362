# DSB 2018, Table 5, IAP with xi=1e-6, eps=2.0 (tau 0.95) on the
# CSD-cost student-teacher without NRB or cutout, 640x640.
_base_ = '../table3_adaptive_cost/ssmd_csd-cost_r50_dsb_50pct_640.py'

custom_hooks = [
    _base_.ema_hook,
    dict(_base_.adversarial_hook, xi=1e-6, eps=2.0)
]
