# DeepLesion, semi-supervised (8 labeled + 8 unlabeled per step), 50% labeled,
# at 384x384 (Fig. 4; Tables 3-9). A 384-pixel input is the 512-pixel one
# scaled by 384/512: slices resampled to 0.802 * 512 / 384 mm per pixel and
# fitted into 384x384. The dataset base's pipeline parts composed around this
# size's ResizeToSpacing and Pad.
_base_ = './deeplesion_semi_50pct.py'

image_size = (384, 384)
resize = dict(
    _base_.resize,
    target_spacing=0.802 * 512 / image_size[0],
    max_size=image_size[0])
pad = dict(_base_.pad, size=image_size)
labeled_dataset = dict(
    _base_.labeled_dataset,
    pipeline=[
        *_base_.labeled_head, resize, *_base_.aug_steps, pad,
        *_base_.labeled_tail
    ])
unlabeled_dataset = dict(
    _base_.unlabeled_dataset,
    pipeline=[
        *_base_.unlabeled_head, resize, *_base_.aug_steps, pad,
        *_base_.unlabeled_tail
    ])
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
test_pipeline = [*_base_.test_head, resize, pad, *_base_.test_tail]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
