from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS


@DATASETS.register_module()
class DSBNucleiDataset(CocoDataset):
    """DSB 2018 nuclei in the COCO format of ``dsb2018_to_coco.py``.

    A :class:`CocoDataset` with a single ``nucleus`` class. Giving labeled
    and unlabeled splits one dataset type keeps their ``metainfo`` identical,
    which ``ConcatDataset`` (the semi-supervised loaders) requires.
    """

    METAINFO = {
        'classes': ('nucleus', ),
        'palette': [(220, 20, 60)],
    }
