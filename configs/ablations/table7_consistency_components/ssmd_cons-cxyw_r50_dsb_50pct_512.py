# Table 7, consistency on c, x, y, w, 512x512.
_base_ = [
    '../../_base_/models/ssmd_no_cutout.py',
    '../../_base_/datasets/dsb2018_semi_50pct_512.py',
    '../../_base_/schedules/ssmd_adam_100e.py',
    '../../_base_/ssmd_runtime.py'
]

model = dict(consistency_loss=dict(components=('c', 'x', 'y', 'w')))
