# SSMD around the DSB Faster R-CNN (Table 10; mmssmd's TwoStageSSMD):
# student + EMA teacher with the adaptive consistency cost at both stages,
# on the RPN's objectness and deltas at every paired anchor (sigmoid cost)
# and on the RoI head's class distribution and deltas (softmax cost with the
# background class) for the 256 top-scoring student proposals per image and
# their mirrors in the teacher's view; the rest of SSMD as for the RetinaNet
# (./ssmd_parts.py: NRB in the ResNet, cutout, lambda ramp, EMA teacher,
# IAP, student / teacher validation). Supervised: mmdet's RPN and RoI
# losses on the labeled images.
_base_ = ['./faster-rcnn_r50_fpn_dsb.py', './ssmd_parts.py']

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
