# DSB 2018, Fig. 5, IAP confidence threshold tau=0.99 (xi 5e-7, eps 2.0),
# full SSMD (adaptive cost, NRB) without cutout, 448x448.
_base_ = '../../fig4_resolution/ssmd_r50_dsb_50pct_448.py'

model = dict(semi_train_cfg=dict(cutout_holes=0))
custom_hooks = [_base_.ema_hook, dict(_base_.adversarial_hook, tau=0.99)]
