# DeepLesion, Table 2, ACC + NRB + instance-level adversarial perturbation; no cutout, 512x512.
_base_ = '../../fig4_resolution/ssmd_r50_deeplesion_50pct_512.py'

model = dict(semi_train_cfg=dict(cutout_holes=0))
