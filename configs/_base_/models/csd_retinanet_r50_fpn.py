# CSD (Jeong et al., 2019) around the DSB RetinaNet: one network sees the
# batch and its horizontal mirror (one forward pass on both), CSD's cost
# (background elimination from the original view, symmetric KL with a
# stop-gradient on each target side, squared differences of dx (sign
# flipped), dy, dw, dh) on labeled and unlabeled images, Gaussian ramp-up /
# ramp-down of its weight. No teacher, no EMA, no cutout, no noisy blocks.
# The checkpoint is a plain RetinaNet one.
_base_ = './retinanet_r50_fpn_dsb.py'

model = dict(
    type='CSD',
    data_preprocessor=dict(
        _delete_=True,
        type='MultiBranchDataPreprocessor',
        data_preprocessor=_base_.model.data_preprocessor),
    consistency_loss=dict(
        type='CSDConsistencyLoss',
        components=('c', 'x', 'y', 'w', 'h'),
        levels=None),
    semi_train_cfg=dict(
        consistency_schedule='gaussian_ramp',  # the ramp, over max_iters
        consistency_weight=1.0,
        sup_weight=1.0))
