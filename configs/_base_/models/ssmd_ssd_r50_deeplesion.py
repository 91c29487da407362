# ./ssmd_ssd_r50.py for DeepLesion: the SSD at 512 px (SSD512's anchors)
# with the DeepLesion input normalisation.
_base_ = ['./ssmd_ssd_r50.py', './deeplesion_data_preprocessor.py']

model = dict(
    detector=dict(
        data_preprocessor=_base_.deeplesion_data_preprocessor,
        bbox_head=dict(anchor_generator=_base_.ssd_anchors_512)),
    data_preprocessor=dict(
        data_preprocessor=_base_.deeplesion_data_preprocessor))
