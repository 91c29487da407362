# DSB 2018, Table 5, IAP with xi=1e-7, eps=1.0 (tau 0.95) on the
# CSD-cost student-teacher without NRB or cutout, 448x448.
_base_ = '../table2_incremental/ssmd_csd-cost_r50_dsb_50pct_448.py'

custom_hooks = [
    _base_.ema_hook,
    dict(_base_.adversarial_hook, xi=1e-7, eps=1.0)
]
