# DeepLesion, Table 2, ACC + noisy residual blocks; no cutout, 512x512.
_base_ = '../../fig4_resolution/ssmd_r50_deeplesion_50pct_512.py'

model = dict(semi_train_cfg=dict(cutout_holes=0))
# no IAP: the EMA teacher only
custom_hooks = [_base_.ema_hook]
