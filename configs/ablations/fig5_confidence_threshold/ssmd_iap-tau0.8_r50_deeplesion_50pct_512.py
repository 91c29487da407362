# DeepLesion, Fig. 5, IAP confidence threshold tau=0.8 (xi 5e-7, eps 2.0),
# full SSMD (adaptive cost, NRB) without cutout, 512x512.
_base_ = '../../fig4_resolution/ssmd_r50_deeplesion_50pct_512.py'

model = dict(semi_train_cfg=dict(cutout_holes=0))
custom_hooks = [_base_.ema_hook, dict(_base_.adversarial_hook, tau=0.8)]
