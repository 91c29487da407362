# ./deeplesion_detection_50pct_512.py for a detector with a mask head (Mask
# R-CNN, Table 10). DeepLesion has no masks: every training lesion gets the
# one built from its RECIST diameters (DeepLesionDataset(recist_masks=True):
# the ellipse whose axes are the two diameters, as MULAN's pseudo-masks;
# docs/data_and_metrics.md, "RECIST masks"), loaded with the boxes before
# the slice loader and resampled, flipped, rotated and padded with the
# image. The boxes stay the converter's (a rotated box is the hull of the
# rotated corners, as for the other detectors), and the evaluation is the
# FROC on boxes.
_base_ = './deeplesion_detection_50pct_512.py'

train_head = [
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    _base_.train_head[1]
]
train_dataloader = dict(
    dataset=dict(
        recist_masks=True,
        pipeline=[
            *train_head, _base_.resize, *_base_.aug_steps, _base_.pad,
            *_base_.train_tail
        ]))
