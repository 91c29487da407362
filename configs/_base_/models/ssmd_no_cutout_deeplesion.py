# SSMD with the adaptive cost, no cutout, no NRB (Tables 3, 7) for DeepLesion:
# ./ssmd_no_cutout.py with the DeepLesion input normalisation.
_base_ = ['./ssmd_no_cutout.py', './deeplesion_data_preprocessor.py']

model = dict(
    detector=dict(data_preprocessor=_base_.deeplesion_data_preprocessor),
    data_preprocessor=dict(
        data_preprocessor=_base_.deeplesion_data_preprocessor))
