from mmdet.registry import DATASETS

from .checked_coco import CheckedCocoDataset


@DATASETS.register_module()
class DSBNucleiDataset(CheckedCocoDataset):
    """DSB 2018 nuclei in the COCO format of ``dsb2018_to_coco.py``.

    A :class:`CheckedCocoDataset` with a single ``nucleus`` class. Giving
    labeled and unlabeled splits one dataset type keeps their ``metainfo``
    identical, which ``ConcatDataset`` (the semi-supervised loaders)
    requires. A missing converted file names the DSB converter (or the
    synthetic-data generator).
    """

    METAINFO = {
        'classes': ('nucleus', ),
        'palette': [(220, 20, 60)],
    }
    converter = 'tools/dataset_converters/dsb2018_to_coco.py'
    converter_note = (' (or tools/misc/generate_synthetic_dsb.py first, for '
                      'the synthetic demo data)')
