# ./ssd_r50_dsb.py for DeepLesion: at its input of 512 px (maps 64 ... 1,
# mmdet's SSD512 anchors, strides 8 ... 512) with the DeepLesion input
# normalisation.
_base_ = ['./ssd_r50_dsb.py', './deeplesion_data_preprocessor.py']

model = dict(
    data_preprocessor=_base_.deeplesion_data_preprocessor,
    bbox_head=dict(anchor_generator=_base_.ssd_anchors_512))
