# The semi-supervised schedule of ssmd_adam_100e.py (Adam, lr 1e-5, 3400
# iterations, TeacherStudentValLoop) with mmdet's MeanTeacherHook instead of
# EMATeacherHook. teacher = (1 - momentum) * teacher + momentum * student,
# so momentum 0.01 is SSMD's alpha = 0.99 (mmdet's default 0.001 is tuned
# for 180k iterations). The hook copies the student into the teacher at
# iteration 0. skip_buffer=False also averages the BN statistics: the
# teacher always predicts in eval mode, so with trained BN (the demo's
# from-scratch ResNet) its running statistics must follow the student's;
# with the frozen BN of the pretrained ResNets it changes nothing.
_base_ = './ssmd_adam_100e.py'

custom_hooks = [
    dict(type='MeanTeacherHook', momentum=0.01, interval=1, skip_buffer=False)
]
