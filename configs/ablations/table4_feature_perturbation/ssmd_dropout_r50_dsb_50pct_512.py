# Table 4, layer-wise dropout (CSD cost, no cutout), 512x512.
# Table 3's CSD-cost row at this size (no cutout, perturbation=None)
# with this row's perturbation list in its place.
_base_ = '../table3_adaptive_cost/ssmd_csd-cost_r50_dsb_50pct_512.py'

model = dict(detector=dict(backbone=dict(
    perturbation=_base_.table4_perturbations['dropout'])))
