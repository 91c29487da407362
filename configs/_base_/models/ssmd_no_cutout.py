# SSMD with the adaptive cost, no cutout and no noisy residual blocks: the
# base of Tables 3 and 7.
_base_ = './ssmd_retinanet_r50_fpn.py'

model = dict(
    detector=dict(backbone=dict(perturbation=None)),
    semi_train_cfg=dict(cutout_holes=0))
