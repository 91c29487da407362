# Fig. 4: pseudo-labeling, ResNet-101, DeepLesion, 50% labeled, 512x512 (slices
# resampled to 0.802 * 512 / 512 mm per pixel).
# Pseudo-labels of fig4_resolution/supervised_r101_deeplesion_50pct_512.py.
_base_ = './pseudo_label_r50_deeplesion_50pct_512.py'

model = dict(backbone=_base_.r101_backbone)
pseudo_dataset = dict(
    _base_.pseudo_dataset,
    ann_file='annotations/pseudo/supervised_r101_deeplesion_50pct_512.json')
train_dataloader = dict(
    dataset=dict(datasets=[_base_.labeled_dataset, pseudo_dataset]))
