# ./ssmd_mask-rcnn_r50_fpn.py with the DeepLesion input normalisation
# (masks stay padded with the batch).
_base_ = ['./ssmd_mask-rcnn_r50_fpn.py', './deeplesion_data_preprocessor.py']

model = dict(
    detector=dict(data_preprocessor=_base_.deeplesion_data_preprocessor),
    data_preprocessor=dict(
        data_preprocessor=_base_.deeplesion_data_preprocessor))
