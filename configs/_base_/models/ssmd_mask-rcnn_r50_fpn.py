# SSMD around the DSB Mask R-CNN (Table 10): ./ssmd_faster-rcnn_r50_fpn.py
# (TwoStageSSMD: consistency on the RPN and the RoI head's boxes) with
# Mask R-CNN as student and teacher, whose supervised loss adds mmdet's
# mask loss on the labeled images (no consistency on the masks).
_base_ = ['./mask-rcnn_r50_fpn_dsb.py', './ssmd_parts.py']

detector = _base_.model
detector.backbone.type = 'NoisyResNet'
detector.backbone.perturbation = _base_.ssmd_perturbation
model = dict(
    _delete_=True,
    type='TwoStageSSMD',
    detector=detector,
    consistency_loss=_base_.ssmd_consistency_loss,
    roi_consistency_loss=dict(
        _base_.ssmd_consistency_loss, type='SoftmaxAdaptiveConsistencyLoss'),
    data_preprocessor=dict(
        type='MultiBranchDataPreprocessor',
        data_preprocessor=detector.data_preprocessor),
    semi_train_cfg=dict(_base_.ssmd_semi_train_cfg, roi_proposals=256),
    semi_test_cfg=_base_.ssmd_semi_test_cfg)

val_cfg = _base_.ssmd_val_cfg
custom_hooks = [_base_.ema_hook, _base_.adversarial_hook]
