# The demo's synthetic nuclei for mmdet's mean teacher: the branches of
# ./mean_teacher_branches.py at 192 x 192, 4 labeled + 4 unlabeled images
# per step.
_base_ = ['./synthetic_dsb_semi.py', './mean_teacher_branches.py']

labeled_dataset = dict(
    _base_.labeled_dataset,
    pipeline=[*_base_.labeled_head, _base_.resize, *_base_.mt_labeled_tail])
unlabeled_dataset = dict(
    _base_.unlabeled_dataset,
    pipeline=[
        *_base_.mt_unlabeled_head, _base_.resize, *_base_.mt_unlabeled_tail
    ])
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
