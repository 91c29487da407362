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
