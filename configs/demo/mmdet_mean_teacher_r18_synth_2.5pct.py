# Demo: mmdet's mean teacher (SemiBaseDetector + MeanTeacherHook, teacher
# pseudo-labels at 0.9) with the demo's small RetinaNet, data and budget
# (2.5% labeled, 4 + 4 images per step, 2000 iterations).
_base_ = [
    '../_base_/models/mean_teacher_retinanet_r50_fpn.py',
    '../_base_/datasets/synthetic_dsb_semi_mean_teacher.py',
    '../_base_/synth_demo.py'
]

model = dict(detector=_base_.synth_detector)
