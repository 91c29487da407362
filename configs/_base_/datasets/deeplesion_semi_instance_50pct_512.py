# ./deeplesion_semi_50pct_512.py for a detector with a mask head (Mask
# R-CNN, Table 10): the labeled lesions get the masks built from their
# RECIST diameters (DeepLesionDataset(recist_masks=True); see
# ./deeplesion_instance_50pct_512.py), the unlabeled slices are unchanged.
_base_ = './deeplesion_semi_50pct_512.py'

labeled_head = [
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    _base_.load_slices
]
labeled_dataset = dict(
    _base_.labeled_dataset,
    recist_masks=True,
    pipeline=[
        *labeled_head, _base_.resize, *_base_.aug_steps, _base_.pad,
        *_base_.labeled_tail
    ])
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, _base_.unlabeled_dataset]))
