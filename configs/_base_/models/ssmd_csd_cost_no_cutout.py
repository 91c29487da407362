# Student/EMA-teacher with CSD's consistency cost (background elimination,
# symmetric KL), no cutout and no noisy residual blocks: the base of Tables
# 4, 6 and 8 and the "without adaptive cost" row of Table 3.
_base_ = './ssmd_retinanet_r50_fpn.py'

model = dict(
    detector=dict(backbone=dict(perturbation=None)),
    consistency_loss=dict(adaptive=False),
    semi_train_cfg=dict(cutout_holes=0))
