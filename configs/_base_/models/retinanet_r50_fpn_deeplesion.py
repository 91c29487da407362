# RetinaNet-R50-FPN for one class (lesion), five pyramid levels with nine
# anchors each, as for DSB; DeepLesion inputs are CT slices, normalised by
# the DeepLesion data preprocessor.
_base_ = ['./retinanet_r50_fpn_dsb.py', './deeplesion_data_preprocessor.py']

model = dict(data_preprocessor=_base_.deeplesion_data_preprocessor)
