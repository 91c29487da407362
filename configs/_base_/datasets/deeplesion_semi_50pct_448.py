# DeepLesion semi-supervised at 448x448 with 50% labeled: the setting of
# the paper's ablation studies (Tables 3-9). A 448-pixel input is the
# 512-pixel one scaled by 448/512: the slices are resampled to
# 0.802 * 512 / 448 mm per pixel and fitted into 448x448.
_base_ = './deeplesion_semi.py'

image_size = (448, 448)
labeled_dataset = _base_.labeled_dataset
unlabeled_dataset = _base_.unlabeled_dataset
labeled_dataset.ann_file = 'annotations/semi/instances_train.1@50.json'
unlabeled_dataset.ann_file = \
    'annotations/semi/instances_train.1@50-unlabeled.json'
test_pipeline = _base_.test_pipeline
for __pipeline in (labeled_dataset.pipeline, unlabeled_dataset.pipeline,
                   test_pipeline):
    for __transform in __pipeline:
        if __transform.type == 'LoadDeepLesionSlices':
            __transform.target_spacing = 0.802 * 512 / image_size[0]
            __transform.max_size = image_size[0]
        elif __transform.type == 'Pad':
            __transform.size = image_size
train_dataloader = dict(
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
