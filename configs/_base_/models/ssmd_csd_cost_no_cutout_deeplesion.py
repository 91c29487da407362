# CSD's cost, no cutout, no NRB (Tables 4, 6, 8) for DeepLesion:
# ./ssmd_csd_cost_no_cutout.py with the DeepLesion input normalisation.
_base_ = ['./ssmd_csd_cost_no_cutout.py', './deeplesion_data_preprocessor.py']

model = dict(
    detector=dict(data_preprocessor=_base_.deeplesion_data_preprocessor),
    data_preprocessor=dict(
        data_preprocessor=_base_.deeplesion_data_preprocessor))
