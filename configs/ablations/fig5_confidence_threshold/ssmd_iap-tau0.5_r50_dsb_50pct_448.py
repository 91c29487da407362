# DSB 2018, Fig. 5, IAP confidence threshold tau=0.5 (xi 5e-7, eps 2.0),
# full SSMD (adaptive cost, NRB) without cutout, 448x448.
_base_ = [
    '../../_base_/models/ssmd_retinanet_r50_fpn.py',
    '../../_base_/datasets/dsb2018_semi_50pct_448.py',
    '../../_base_/schedules/ssmd_adam_100e_iap.py',
    '../../_base_/ssmd_runtime.py'
]

model = dict(semi_train_cfg=dict(cutout_holes=0))
custom_hooks = [_base_.ema_hook, dict(_base_.adversarial_hook, tau=0.5)]
