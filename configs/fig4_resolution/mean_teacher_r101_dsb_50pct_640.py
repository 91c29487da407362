# Fig. 4: mmdet mean teacher, ResNet-101, DSB 2018, 50% labeled, 640x640.
_base_ = '../mmdet_mean_teacher/mean_teacher_r101_dsb_50pct.py'

image_size = (640, 640)
labeled_dataset = _base_.labeled_dataset
unlabeled_dataset = _base_.unlabeled_dataset
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
