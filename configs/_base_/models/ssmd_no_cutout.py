# SSMD with the adaptive cost, no cutout, no noisy residual blocks and no
# IAP (the EMA hook only): the base of Tables 3 and 7.
_base_ = './ssmd_retinanet_r50_fpn.py'

model = dict(
    detector=dict(backbone=dict(perturbation=None)),
    semi_train_cfg=dict(cutout_holes=0))
custom_hooks = [_base_.ema_hook]
