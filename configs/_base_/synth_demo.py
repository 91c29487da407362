# What every demo run shares besides its method and data: the small
# RetinaNet's parts (./models/synth_r18_parts.py: merge synth_detector into
# the method's detector), the demo's 2000-iteration schedule and runtime.
_base_ = [
    './models/synth_r18_parts.py', './schedules/synth_iter_adam_2k.py',
    './synth_runtime.py'
]
