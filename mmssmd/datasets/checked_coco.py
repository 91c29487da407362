from typing import List, Sequence

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO

from .semi_checks import (CONVERTED_NAMES, check_ann_file, check_categories,
                          check_not_empty)


class CheckedCocoDataset(CocoDataset):
    """A ``CocoDataset`` whose bad input fails at build time, naming the file.

    While the dataset is built (before training starts) it refuses, with a
    message naming the file (:mod:`mmssmd.datasets.semi_checks`): a missing
    annotation file (with the command that writes it: the split tool for a
    split file, the subclass's ``converter`` for a converted one), a file
    whose categories are not the dataset's classes (mmdet would map them
    silently or fail with a bare ``KeyError``), and a file that gives no
    image after filtering (``MultiSourceSampler`` would loop forever).

    Class attributes:
        converter: Script that writes the converted files, relative to the
            repository (``''``: no hint).
        converted_names: File names the converter writes.
        converter_note: Appended to the converter's command in the hint.
    """

    converter: str = ''
    converted_names: Sequence[str] = CONVERTED_NAMES
    converter_note: str = ''

    def load_data_list(self) -> List[dict]:
        """Check that the file exists, then load it like ``CocoDataset``."""
        check_ann_file(
            self.ann_file, converter=self.converter,
            converted_names=self.converted_names, note=self.converter_note)
        return super().load_data_list()

    def COCOAPI(self, local_path: str) -> COCO:  # noqa: N802
        """Load the json and check its categories.

        ``CocoDataset.load_data_list`` builds its COCO object with
        ``self.COCOAPI(path)``; as a method this sees the categories before
        mmdet maps them to labels.
        """
        coco = COCO(local_path)
        check_categories(coco.dataset, self.metainfo['classes'], self.ann_file)
        return coco

    def filter_data(self) -> List[dict]:
        """Filter as usual (``filter_cfg``), then refuse an empty dataset."""
        data_list = super().filter_data()
        check_not_empty(len(data_list), self.ann_file,
                        self.filter_cfg if self.data_list else None)
        return data_list

