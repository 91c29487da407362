# DSB 2018 for mmdet's mean teacher (SemiBaseDetector): 8 labeled + 8
# unlabeled images per step (MultiSourceSampler), as dsb2018_semi.py, with
# mmdet's three branches (./mean_teacher_branches.py).
_base_ = ['./dsb2018_semi.py', './mean_teacher_branches.py']

labeled_tail = _base_.mt_labeled_tail
unlabeled_head = _base_.mt_unlabeled_head
unlabeled_tail = _base_.mt_unlabeled_tail
labeled_dataset = dict(
    _base_.labeled_dataset,
    pipeline=[*_base_.labeled_head, _base_.resize, *labeled_tail])
unlabeled_dataset = dict(
    _base_.unlabeled_dataset,
    pipeline=[*unlabeled_head, _base_.resize, *unlabeled_tail])
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
