from typing import List

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import DATASETS

from .semi_checks import check_ann_file, check_categories, check_not_empty


@DATASETS.register_module()
class DSBNucleiDataset(CocoDataset):
    """DSB 2018 nuclei in the COCO format of ``dsb2018_to_coco.py``.

    A :class:`CocoDataset` with a single ``nucleus`` class. Giving labeled
    and unlabeled splits one dataset type keeps their ``metainfo`` identical,
    which ``ConcatDataset`` (the semi-supervised loaders) requires.

    Bad input fails while the dataset is built, before training starts, with
    a message naming the file (:mod:`mmssmd.datasets.semi_checks`): a missing
    annotation file (with the command that writes it, e.g. the split tool
    for an unknown labeled percent), a file whose categories are not the
    dataset's classes, and a file that gives no image (after filtering).
    """

    METAINFO = {
        'classes': ('nucleus', ),
        'palette': [(220, 20, 60)],
    }

    def load_data_list(self) -> List[dict]:
        """Check that the file exists, then load it like ``CocoDataset``."""
        check_ann_file(self.ann_file)
        return super().load_data_list()

    def COCOAPI(self, local_path: str) -> COCO:  # noqa: N802
        """Load the json and check its categories.

        ``CocoDataset.load_data_list`` builds its COCO object with
        ``self.COCOAPI(path)``; as a method this sees the loaded categories
        before mmdet maps them to labels (where a mismatch would pass
        silently or fail with a bare ``KeyError``).
        """
        coco = COCO(local_path)
        check_categories(coco.dataset, self.metainfo['classes'], self.ann_file)
        return coco

    def filter_data(self) -> List[dict]:
        """Filter as usual (``filter_cfg``), then refuse an empty dataset.

        ``BaseDataset.full_init`` calls this right after loading, before
        it serialises the list (which fails obscurely when it is empty).
        """
        data_list = super().filter_data()
        check_not_empty(len(data_list), self.ann_file,
                        self.filter_cfg if self.data_list else None)
        return data_list
