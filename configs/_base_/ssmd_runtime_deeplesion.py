# ./ssmd_runtime.py for DeepLesion: a checkpoint every 10 epochs of the
# DeepLesion schedule, the best one by the student's sensitivity at 4 false
# positives per image (the paper's number; it predicts with the student).
_base_ = './ssmd_runtime.py'

default_hooks = dict(
    checkpoint=dict(
        interval=14060,  # 10 epochs of 1406 iterations
        save_best='student/deeplesion/sensitivity_at_4fp',
        rule='greater'))
