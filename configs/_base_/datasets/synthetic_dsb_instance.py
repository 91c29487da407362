# ./synthetic_dsb_detection.py for a detector with a mask head (the demo's
# Mask R-CNN): the masks are kept for the mask head
# (RecomputeBoxesFromMasks(keep_masks=True)); the test also scores the
# predicted masks (coco/segm_* beside coco/bbox_*).
_base_ = './synthetic_dsb_detection.py'

mask_box_steps = [
    dict(type='RecomputeBoxesFromMasks', keep_masks=True),
    *_base_.mask_box_steps[1:]
]
train_tail = [*_base_.aug_steps, *mask_box_steps, dict(type='PackDetInputs')]
train_dataloader = dict(
    dataset=dict(pipeline=[*_base_.train_head, _base_.resize, *train_tail]))
test_evaluator = dict(metric=['bbox', 'segm'])
