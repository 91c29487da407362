# DeepLesion, Table 5, IAP with xi=1e-7, eps=2.0 (tau 0.95) on the
# CSD-cost student-teacher without NRB or cutout, 512x512.
_base_ = '../table2_incremental/ssmd_csd-cost_r50_deeplesion_50pct_512.py'

custom_hooks = [
    _base_.ema_hook,
    dict(_base_.adversarial_hook, xi=1e-7, eps=2.0)
]
