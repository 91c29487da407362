# SSMD around the DSB RetinaNet: student + EMA teacher, adaptive consistency
# cost at every paired anchor of the five levels (a weighted mean over the
# anchors; reduction='mean' is the paper's literal reading), cutout 5 x 70
# px on both views, noisy residual blocks after every residual block of the
# ResNet (Sec. 3.2) with noise relative to each channel's spread
# (type='scaled_nrb', sigma 0.1; type='nrb', sigma=1.0 is the paper's
# literal N(0, 1)). The ResNet weights still come from torchvision, the
# blocks are new. The choices are measured in docs/ssmd_gain.md.
_base_ = './retinanet_r50_fpn_dsb.py'

detector = _base_.model
detector.backbone.type = 'NoisyResNet'
detector.backbone.perturbation = dict(
    type='scaled_nrb', gamma=0.9, mu=0.0, sigma=0.1)
model = dict(
    _delete_=True,
    type='SSMD',
    detector=detector,
    consistency_loss=dict(
        type='AdaptiveConsistencyLoss',
        adaptive=True,
        components=('c', 'x', 'y', 'w', 'h'),
        levels=None,
        reduction='weighted_mean'),
    data_preprocessor=dict(
        type='MultiBranchDataPreprocessor',
        data_preprocessor=detector.data_preprocessor),
    semi_train_cfg=dict(
        freeze_teacher=True,
        cutout_holes=5,
        cutout_size=70,
        consistency_schedule='ssmd',
        consistency_weight=1.0,
        sup_weight=1.0),
    semi_test_cfg=dict(predict_on='student'))
