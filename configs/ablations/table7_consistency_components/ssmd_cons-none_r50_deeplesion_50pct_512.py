# DeepLesion, Table 7, no consistency term: the supervised student trained
# on labeled images with flips, 512x512.
_base_ = [
    '../../_base_/models/ssmd_no_cutout_deeplesion.py',
    '../../_base_/datasets/deeplesion_semi_50pct_512.py',
    '../../_base_/schedules/ssmd_adam_100e_deeplesion.py',
    '../../_base_/ssmd_runtime_deeplesion.py'
]

model = dict(
    semi_train_cfg=dict(
        consistency_schedule='constant', consistency_weight=0.0))
