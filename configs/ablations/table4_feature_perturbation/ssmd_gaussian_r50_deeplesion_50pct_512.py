# DeepLesion, Table 4, layer-wise Gaussian noise (CSD cost, no cutout),
# 512x512.
_base_ = [
    '../../_base_/models/ssmd_csd_cost_no_cutout_deeplesion.py',
    '../../_base_/datasets/deeplesion_semi_50pct_512.py',
    '../../_base_/schedules/ssmd_adam_100e_deeplesion.py',
    '../../_base_/ssmd_runtime_deeplesion.py'
]

# the base has perturbation=None: replace it (_delete_), do not merge
model = dict(
    detector=dict(
        backbone=dict(
            perturbation=dict(
                _delete_=True,
                type='gaussian', sigma=0.5))))
