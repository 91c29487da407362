# DeepLesion, Table 3, with the adaptive consistency cost, 512x512.
_base_ = [
    '../../_base_/models/ssmd_no_cutout_deeplesion.py',
    '../../_base_/datasets/deeplesion_semi_50pct_512.py',
    '../../_base_/schedules/iter_adam_100e_deeplesion.py',
    '../../_base_/ssmd_runtime_deeplesion.py'
]
