# SSMD around the DSB RetinaNet: student + EMA teacher, adaptive consistency
# cost at every paired anchor of the five levels (a weighted mean over the
# anchors; reduction='mean' is the paper's literal reading), cutout 5 x 70
# px on both views, noisy residual blocks after every residual block of the
# ResNet (Sec. 3.2) with noise relative to each channel's spread
# (ScaledNoisyResidualBlock, sigma 0.1; NoisyResidualBlock with sigma=1.0
# is the paper's literal N(0, 1)). The ResNet weights still come from
# torchvision, the blocks are new. The choices are measured in
# docs/ssmd_gain.md. The method's hooks (EMA teacher, instance-level
# adversarial perturbation) and its validation loop live here, next to the
# model.
_base_ = './retinanet_r50_fpn_dsb.py'

detector = _base_.model
detector.backbone.type = 'NoisyResNet'
detector.backbone.perturbation = [
    dict(type='ScaledNoisyResidualBlock', gamma=0.9, mu=0.0, sigma=0.1)
]
model = dict(
    _delete_=True,
    type='SSMD',
    detector=detector,
    consistency_loss=dict(
        type='AdaptiveConsistencyLoss',
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
        consistency_schedule='gaussian_ramp',
        consistency_weight=1.0,
        sup_weight=1.0),
    semi_test_cfg=dict(predict_on='student'))

# evaluates the student and the teacher: student/coco/..., teacher/coco/...
val_cfg = dict(type='TeacherStudentValLoop')
# Eq. 2, the teacher as EMA of the student; independent initialisation
ema_hook = dict(
    type='EMATeacherHook', alpha=0.99, init='independent', buffers='ema')
# instance-level adversarial perturbation of the teacher input (Sec. 3.3)
# from the first iteration, the paper's defaults (xi 5e-7, eps 2.0,
# tau 0.95). A config without AdversarialHook has no IAP.
adversarial_hook = dict(type='AdversarialHook', xi=5e-7, eps=2.0, tau=0.95)
custom_hooks = [ema_hook, adversarial_hook]
