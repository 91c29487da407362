# Fig. 4: pseudo-labeling, ResNet-101, DeepLesion, 50% labeled, 448x448 (slices
# resampled to 0.802 * 512 / 448 mm per pixel).
# Pseudo-labels of fig4_resolution/supervised_r101_deeplesion_50pct_448.py.
_base_ = '../pseudo_label/pseudo_label_r101_deeplesion_50pct.py'

image_size = (448, 448)
labeled_dataset = _base_.labeled_dataset
pseudo_dataset = _base_.pseudo_dataset
pseudo_dataset.ann_file = \
    'annotations/pseudo/supervised_r101_deeplesion_50pct_448.json'
test_pipeline = _base_.test_pipeline
for __pipeline in (labeled_dataset.pipeline, pseudo_dataset.pipeline,
                   test_pipeline):
    for __transform in __pipeline:
        if __transform.type == 'LoadDeepLesionSlices':
            __transform.target_spacing = 0.802 * 512 / image_size[0]
            __transform.max_size = image_size[0]
        elif __transform.type == 'Pad':
            __transform.size = image_size
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, pseudo_dataset]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
