# DeepLesion, Table 6, EMA factor alpha = 0.8 (CSD cost, no cutout).
_base_ = '../table2_incremental/ssmd_csd-cost_r50_deeplesion_50pct_512.py'

custom_hooks = [dict(_base_.ema_hook, alpha=0.8)]
