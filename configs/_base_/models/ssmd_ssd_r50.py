# SSMD around the DSB SSD (Table 10): student + EMA teacher, the adaptive
# consistency cost for softmax heads (Eq. 4 with the background class:
# W = ((1 - p_s[bg])^2 + (1 - p_t[bg])^2) / 2) at every paired anchor of
# the seven levels, and the rest of SSMD as for the RetinaNet
# (./ssmd_parts.py: NRB in the ResNet, cutout, lambda ramp, EMA teacher,
# IAP, student / teacher validation).
_base_ = ['./ssd_r50_dsb.py', './ssmd_parts.py']

detector = _base_.model
detector.backbone.type = 'NoisyResNet'
detector.backbone.perturbation = _base_.ssmd_perturbation
model = dict(
    _delete_=True,
    type='SSMD',
    detector=detector,
    consistency_loss=dict(
        _base_.ssmd_consistency_loss, type='SoftmaxAdaptiveConsistencyLoss'),
    data_preprocessor=dict(
        type='MultiBranchDataPreprocessor',
        data_preprocessor=detector.data_preprocessor),
    semi_train_cfg=_base_.ssmd_semi_train_cfg,
    semi_test_cfg=_base_.ssmd_semi_test_cfg)

val_cfg = _base_.ssmd_val_cfg
custom_hooks = [_base_.ema_hook, _base_.adversarial_hook]
