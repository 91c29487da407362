# Demo: mmdet's mean teacher (SemiBaseDetector + MeanTeacherHook, teacher
# pseudo-labels at 0.9) with the demo's small RetinaNet, data and budget
# (2.5% labeled, 4 + 4 images per step, 2000 iterations).
_base_ = [
    '../_base_/models/mean_teacher_retinanet_r50_fpn.py',
    '../_base_/models/synth_r18_parts.py',
    '../_base_/datasets/synthetic_dsb_semi_mean_teacher.py',
    '../_base_/schedules/synth_iter_adam_2k.py', '../_base_/synth_runtime.py'
]

model = dict(
    detector=dict(
        backbone=_base_.synth_backbone,
        neck=_base_.synth_neck,
        bbox_head=_base_.synth_bbox_head))
val_cfg = dict(type='TeacherStudentValLoop')
# momentum 0.01 = alpha 0.99; the BN statistics follow the student
custom_hooks = [
    dict(type='MeanTeacherHook', momentum=0.01, interval=1, skip_buffer=False)
]
