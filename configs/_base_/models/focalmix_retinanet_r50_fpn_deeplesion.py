# FocalMix (./focalmix_retinanet_r50_fpn.py) with the DeepLesion (CT) input
# normalisation inside the multi-branch wrapper.
_base_ = [
    './focalmix_retinanet_r50_fpn.py', './deeplesion_data_preprocessor.py'
]

model = dict(
    data_preprocessor=dict(
        data_preprocessor=_base_.deeplesion_data_preprocessor))
