# SSMD's method settings as parts, for the model bases of Table 10's
# detectors (SSD, Faster R-CNN, Mask R-CNN): each inherits its plain
# detector base and cannot also inherit ./ssmd_retinanet_r50_fpn.py (both
# define `model`), so it takes these. They are the RetinaNet base's values
# (tests/test_configs/test_table10_configs.py checks that they stay equal):
# noisy residual blocks after every residual block (scaled noise, sigma
# 0.1), the adaptive cost on every paired output with the weighted mean,
# cutout 5 x 70 px, the Gaussian lambda ramp, the student predicts; the
# EMA teacher (alpha 0.99, independent initialisation) and IAP (xi 5e-7,
# eps 2.0, tau 0.95) hooks and the student / teacher validation loop.
ssmd_perturbation = [
    dict(type='ScaledNoisyResidualBlock', gamma=0.9, mu=0.0, sigma=0.1)
]
ssmd_consistency_loss = dict(
    type='AdaptiveConsistencyLoss',
    components=('c', 'x', 'y', 'w', 'h'),
    levels=None,
    reduction='weighted_mean')
ssmd_semi_train_cfg = dict(
    freeze_teacher=True,
    cutout_holes=5,
    cutout_size=70,
    consistency_schedule='gaussian_ramp',
    consistency_weight=1.0,
    sup_weight=1.0)
ssmd_semi_test_cfg = dict(predict_on='student')
ssmd_val_cfg = dict(type='TeacherStudentValLoop')
ema_hook = dict(
    type='EMATeacherHook', alpha=0.99, init='independent', buffers='ema')
adversarial_hook = dict(type='AdversarialHook', xi=5e-7, eps=2.0, tau=0.95)
