# The demo's synthetic nuclei for semi-supervised training (SSMD, CSD,
# FocalMix): labeled and unlabeled images through the DSB semi pipelines at
# 192 x 192, 4 labeled + 4 unlabeled images per step.
_base_ = './synthetic_dsb_detection.py'

# pipelines in parts as in ./dsb2018_detection.py
labeled_head = _base_.train_head
labeled_tail = [*_base_.aug_steps, *_base_.mask_box_steps, _base_.sup_branch]
unlabeled_head = _base_.test_head
unlabeled_tail = [*_base_.aug_steps, _base_.unsup_branch]
labeled_dataset = dict(
    type='DSBNucleiDataset',
    data_root=_base_.data_root,
    ann_file='annotations/semi/instances_train.1@2.5.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=True, min_size=1),
    pipeline=[*labeled_head, _base_.resize, *labeled_tail])
unlabeled_dataset = dict(
    type='DSBNucleiDataset',
    data_root=_base_.data_root,
    ann_file='annotations/semi/instances_train.1@2.5-unlabeled.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=False),
    pipeline=[*unlabeled_head, _base_.resize, *unlabeled_tail])
train_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='MultiSourceSampler', batch_size=8,
                 source_ratio=[1, 1]),  # 4 labeled + 4 unlabeled
    dataset=dict(
        type='ConcatDataset', datasets=[labeled_dataset, unlabeled_dataset]))
