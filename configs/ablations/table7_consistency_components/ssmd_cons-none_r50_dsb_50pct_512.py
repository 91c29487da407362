# Table 7, no consistency term: the supervised student trained
# on labeled images with flips, 512x512.
_base_ = [
    '../../_base_/models/ssmd_no_cutout.py',
    '../../_base_/datasets/dsb2018_semi_50pct_512.py',
    '../../_base_/schedules/ssmd_adam_100e.py',
    '../../_base_/ssmd_runtime.py'
]

model = dict(
    semi_train_cfg=dict(
        consistency_schedule='constant', consistency_weight=0.0))
