# DeepLesion, Table 4, layer-wise noisy residual blocks (CSD cost, no cutout),
# 448x448.
_base_ = [
    '../../_base_/models/ssmd_csd_cost_no_cutout_deeplesion.py',
    '../../_base_/datasets/deeplesion_semi_50pct_448.py',
    '../../_base_/schedules/ssmd_adam_100e_deeplesion.py',
    '../../_base_/ssmd_runtime_deeplesion.py'
]

# the base has perturbation=None: replace it (_delete_), do not merge
model = dict(
    detector=dict(
        backbone=dict(
            perturbation=dict(
                _delete_=True,
                type='nrb', gamma=0.9))))
