# The "plain MMDetection" semi-supervised baseline: mmdet's SemiBaseDetector
# (student + teacher, two copies of the DSB RetinaNet) trained with
# MeanTeacherHook. The teacher predicts on a weakly augmented view of each
# unlabeled image; its detections with score >= 0.9 (cls_pseudo_thr),
# projected onto the strongly augmented student view, are the student's
# targets (RetinaNet's own loss). Keys SemiBaseDetector reads:
# freeze_teacher, sup_weight, unsup_weight, cls_pseudo_thr,
# min_pseudo_bbox_wh; semi_test_cfg.predict_on.
_base_ = './retinanet_r50_fpn_dsb.py'

detector = _base_.model
model = dict(
    _delete_=True,
    type='SemiBaseDetector',
    detector=detector,
    data_preprocessor=dict(
        type='MultiBranchDataPreprocessor',
        data_preprocessor=detector.data_preprocessor),
    semi_train_cfg=dict(
        freeze_teacher=True,
        sup_weight=1.0,
        unsup_weight=1.0,
        cls_pseudo_thr=0.9,
        min_pseudo_bbox_wh=(1e-2, 1e-2)),
    semi_test_cfg=dict(predict_on='teacher'))

# evaluates the student and the teacher (mmdet's mean teacher predicts
# with the teacher). teacher = (1 - momentum) * teacher + momentum *
# student, so momentum 0.01 is SSMD's alpha = 0.99 (mmdet's default 0.001
# is tuned for 180k iterations). The hook copies the student into the
# teacher at iteration 0. skip_buffer=False also averages the BN
# statistics: the teacher always predicts in eval mode, so with trained BN
# (the demo's from-scratch ResNet) its running statistics must follow the
# student's; with the frozen BN of the pretrained ResNets it changes
# nothing.
val_cfg = dict(type='TeacherStudentValLoop')
custom_hooks = [
    dict(type='MeanTeacherHook', momentum=0.01, interval=1, skip_buffer=False)
]
