# Runtime of the mmdet mean-teacher runs: as ssmd_runtime.py, best
# checkpoint by the teacher's mAP (mmdet's mean teacher predicts with it).
_base_ = './ssmd_runtime.py'

default_hooks = dict(checkpoint=dict(save_best='teacher/coco/bbox_mAP'))
