# DeepLesion, Table 7, no consistency term: the supervised student trained
# on labeled images with flips, 512x512.
_base_ = '../table2_incremental/ssmd_acc_r50_deeplesion_50pct_512.py'

model = dict(
    semi_train_cfg=dict(
        consistency_schedule='constant', consistency_weight=0.0))
