# The MMDetection baseline: mmdet's SemiBaseDetector + MeanTeacherHook with
# the same RetinaNet-R50, DSB 2018 with 10% labeled; teacher pseudo-labels
# at score >= 0.9; 8 + 8 images per step, 3400 iterations (as SSMD).
_base_ = [
    '../_base_/models/mean_teacher_retinanet_r50_fpn.py',
    '../_base_/datasets/dsb2018_semi_mean_teacher.py',
    '../_base_/schedules/iter_adam_100e.py',
    '../_base_/mean_teacher_runtime.py'
]
