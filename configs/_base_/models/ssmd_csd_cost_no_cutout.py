# Student/EMA-teacher with CSD's consistency cost (background elimination,
# symmetric KL), no cutout, no noisy residual blocks and no IAP: the base
# of Tables 4, 6 and 8 and the "without adaptive cost" row of Table 3.
_base_ = './ssmd_retinanet_r50_fpn.py'

model = dict(
    detector=dict(backbone=dict(perturbation=None)),
    # CSD's cost replaces the adaptive one (the components, levels of the
    # SSMD base; CSD's cost takes no reduction)
    consistency_loss=dict(
        _delete_=True,
        type='CSDConsistencyLoss',
        components=_base_.model.consistency_loss.components,
        levels=_base_.model.consistency_loss.levels),
    semi_train_cfg=dict(cutout_holes=0))
custom_hooks = [_base_.ema_hook]

# Table 4's rows: the backbone's feature perturbations (values the paper
# does not give: mmssmd/models/layers/feature_perturbations.py). A row sets
# model.detector.backbone.perturbation = table4_perturbations['<row>'].
table4_perturbations = dict(
    nrb=[dict(type='NoisyResidualBlock', gamma=0.9, mu=0.0, sigma=1.0)],
    dropout=[dict(type='Dropout', drop_prob=0.1)],
    gaussian=[dict(type='GaussianNoise', sigma=0.5)],
    # DropBlock in res4 and res5 only
    dropblock=[
        dict(
            type='FeatureDropBlock',
            drop_prob=0.1,
            block_size=5,
            warmup_iters=2000,
            stages=(False, False, True, True))
    ])
table4_perturbations['nrb-dropout'] = [
    *table4_perturbations['nrb'], *table4_perturbations['dropout']
]
table4_perturbations['nrb-gaussian'] = [
    *table4_perturbations['nrb'], *table4_perturbations['gaussian']
]
