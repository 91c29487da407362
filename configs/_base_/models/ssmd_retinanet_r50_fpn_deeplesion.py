# Full SSMD (adaptive cost, cutout 5 x 70, NRB) for DeepLesion:
# ./ssmd_retinanet_r50_fpn.py with the DeepLesion input normalisation.
_base_ = ['./ssmd_retinanet_r50_fpn.py', './deeplesion_data_preprocessor.py']

model = dict(
    detector=dict(data_preprocessor=_base_.deeplesion_data_preprocessor),
    data_preprocessor=dict(
        data_preprocessor=_base_.deeplesion_data_preprocessor))
