# Fig. 4: pseudo-labeling, ResNet-50, DSB 2018, 50% labeled, 448x448.
# Pseudo-labels of fig4_resolution/supervised_r50_dsb_50pct_448.py.
_base_ = '../pseudo_label/pseudo_label_r50_dsb_50pct.py'

image_size = (448, 448)
labeled_dataset = _base_.labeled_dataset
pseudo_dataset = _base_.pseudo_dataset
pseudo_dataset.ann_file = \
    'annotations/pseudo/supervised_r50_dsb_50pct_448.json'
test_pipeline = _base_.test_pipeline
for __pipeline in (labeled_dataset.pipeline, pseudo_dataset.pipeline,
                   test_pipeline):
    for __transform in __pipeline:
        if __transform.type == 'Resize':
            __transform.scale = image_size
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, pseudo_dataset]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
