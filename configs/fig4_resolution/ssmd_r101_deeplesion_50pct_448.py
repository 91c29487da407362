# Fig. 4: SSMD, ResNet-101, DeepLesion, 50% labeled, 448x448 (slices
# resampled to 0.802 * 512 / 448 mm per pixel).
_base_ = '../ssmd/ssmd_r101_deeplesion_50pct.py'

image_size = (448, 448)
labeled_dataset = _base_.labeled_dataset
unlabeled_dataset = _base_.unlabeled_dataset
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
