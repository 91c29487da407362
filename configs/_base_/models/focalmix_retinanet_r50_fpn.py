# FocalMix (the SSMD paper's 2D re-implementation, Sec. 4.3) on the DSB
# RetinaNet: the detector itself is trained MixMatch-style (no teacher) with
# the soft-target focal loss (a0 = 0.05, a1 = 0.95, gamma = 2), targets of
# unlabeled images guessed from K = 2 views (identity + horizontal flip),
# averaged and sharpened (T = 0.7), image- and object-level mixup with
# eta = 0.2. See mmssmd/models/detectors/focalmix.py for the details the
# papers leave open.
_base_ = './retinanet_r50_fpn_dsb.py'

model = dict(
    type='FocalMix',
    data_preprocessor=dict(
        _delete_=True,
        type='MultiBranchDataPreprocessor',
        data_preprocessor=_base_.model.data_preprocessor),
    bbox_head=dict(
        loss_cls=dict(
            _delete_=True,
            type='SoftFocalLoss',
            use_sigmoid=True,
            alpha0=0.05,
            alpha1=0.95,
            gamma=2.0,
            loss_weight=1.0)),
    semi_train_cfg=dict(
        sharpen_temperature=0.7,
        guess_views=('identity', 'hflip'),
        mixup_eta=0.2,
        image_mixup=True,
        object_mixup=True,
        object_mixup_prob=1.0,
        object_score_thr=0.9,
        object_nms_iou=0.5,
        max_objects_per_img=100,
        unsup_pos_thr=0.5,
        sup_weight=1.0,
        unsup_weight=1.0))
