# ./synthetic_dsb_semi.py for a detector with a mask head (the demo's Mask
# R-CNN): the labeled images keep their masks for the mask head
# (RecomputeBoxesFromMasks(keep_masks=True)); the test also scores the
# predicted masks (coco/segm_* beside coco/bbox_*).
_base_ = './synthetic_dsb_semi.py'

mask_box_steps = [
    dict(type='RecomputeBoxesFromMasks', keep_masks=True),
    *_base_.mask_box_steps[1:]
]
labeled_tail = [*_base_.aug_steps, *mask_box_steps, _base_.sup_branch]
labeled_dataset = dict(
    _base_.labeled_dataset,
    pipeline=[*_base_.labeled_head, _base_.resize, *labeled_tail])
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, _base_.unlabeled_dataset]))
test_evaluator = dict(metric=['bbox', 'segm'])
