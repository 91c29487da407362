# ./mask-rcnn_r50_fpn_dsb.py for DeepLesion (one class, lesion): the
# DeepLesion input normalisation (masks stay padded with the batch).
_base_ = ['./mask-rcnn_r50_fpn_dsb.py', './deeplesion_data_preprocessor.py']

model = dict(data_preprocessor=_base_.deeplesion_data_preprocessor)
