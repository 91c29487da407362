# DSB 2018, Table 2, ACC + NRB + instance-level adversarial perturbation; no cutout, 448x448.
_base_ = '../../fig4_resolution/ssmd_r50_dsb_50pct_448.py'

model = dict(semi_train_cfg=dict(cutout_holes=0))
