# DSB 2018, semi-supervised (8 labeled + 8 unlabeled per step), 50% labeled, at
# 640x640 (Fig. 4; Tables 3-9). The dataset base's pipeline parts composed
# around this size's Resize.
_base_ = './dsb2018_semi_50pct.py'

image_size = (640, 640)
resize = dict(type='Resize', scale=image_size, keep_ratio=False)
labeled_dataset = dict(
    _base_.labeled_dataset,
    pipeline=[*_base_.labeled_head, resize, *_base_.labeled_tail])
unlabeled_dataset = dict(
    _base_.unlabeled_dataset,
    pipeline=[*_base_.unlabeled_head, resize, *_base_.unlabeled_tail])
test_pipeline = [*_base_.test_head, resize, *_base_.test_tail]
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
