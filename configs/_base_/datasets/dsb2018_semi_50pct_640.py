# DSB 2018 semi-supervised at 640x640 with 50% labeled: the setting
# of the paper's ablation studies (Tables 3-9).
_base_ = './dsb2018_semi.py'

image_size = (640, 640)
labeled_dataset = _base_.labeled_dataset
unlabeled_dataset = _base_.unlabeled_dataset
labeled_dataset.ann_file = 'annotations/semi/instances_train.1@50.json'
unlabeled_dataset.ann_file = \
    'annotations/semi/instances_train.1@50-unlabeled.json'
test_pipeline = _base_.test_pipeline
for __pipeline in (labeled_dataset.pipeline, unlabeled_dataset.pipeline,
                   test_pipeline):
    for __transform in __pipeline:
        if __transform.type == 'Resize':
            __transform.scale = image_size
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
