# CSD (./csd_retinanet_r50_fpn.py) with the DeepLesion input normalisation.
_base_ = ['./csd_retinanet_r50_fpn.py', './deeplesion_data_preprocessor.py']

model = dict(
    data_preprocessor=dict(
        data_preprocessor=_base_.deeplesion_data_preprocessor))
