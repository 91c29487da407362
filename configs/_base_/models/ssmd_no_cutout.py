# SSMD with the adaptive cost and no cutout: the base of Tables 3 and 7.
_base_ = './ssmd_retinanet_r50_fpn.py'

model = dict(semi_train_cfg=dict(cutout_holes=0))
