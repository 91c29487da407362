# What every demo run of Table 10's detectors shares besides its method and
# data: the small SSD / Faster R-CNN / Mask R-CNN parts
# (./models/synth_r18_table10_parts.py, with ./models/synth_r18_parts.py),
# the demo's schedule and runtime (as ./synth_demo.py), and the SSMD
# settings of the RetinaNet demo (configs/demo/ssmd_r18_synth_2.5pct.py,
# chosen on its validation split: docs/ssmd_gain.md), so that the demo
# compares the detectors under one method: the teacher's BN normalises its
# own batch, the teacher is a copy of the student after every step (EMA
# alpha 0), no cutout, no noisy residual blocks, no IAP.
_base_ = [
    './models/synth_r18_table10_parts.py',
    './schedules/synth_iter_adam_2k.py', './synth_runtime.py'
]

demo_ssmd_semi_train_cfg = dict(
    cutout_holes=0, cutout_size=30, cutout_labeled=False,
    teacher_norm='batch')
demo_ssmd_hooks = [
    dict(type='EMATeacherHook', alpha=0.0, init='copy', buffers='ema')
]
