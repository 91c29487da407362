from typing import List, Union

from mmdet.registry import DATASETS

from .checked_coco import CheckedCocoDataset

# per-image fields of the converter's json that the slice loader (and
# anyone inspecting a sample) uses; copied into data_info as they are
IMAGE_KEYS = ('series', 'slice_dir', 'key_slice', 'slice_range', 'spacing',
              'dicom_windows', 'split', 'patient_gender', 'patient_age',
              'num_noisy')
# per-lesion fields copied into each instance
INSTANCE_KEYS = ('noisy', 'lesion_type')


@DATASETS.register_module()
class DeepLesionDataset(CheckedCocoDataset):
    """DeepLesion key slices in the COCO format of ``deeplesion_to_coco.py``.

    A :class:`CheckedCocoDataset` with one ``lesion`` class whose
    ``data_info`` also carries the image fields ``LoadDeepLesionSlices`` needs
    (``key_slice``, ``slice_range``, ``spacing`` ``[x, y, z]`` in mm, ...;
    see ``IMAGE_KEYS``) and, per instance, ``noisy`` and ``lesion_type``.
    ``img_path`` is the key slice; the neighbours are read from its folder.
    Labeled and unlabeled splits share this type, so their ``metainfo``
    match (``ConcatDataset`` requires it). Besides the base class's checks
    (whose missing-file hint names ``deeplesion_to_coco.py``), an image
    entry without the loader's fields fails, naming the file.

    Args:
        noisy_as_ignored (bool): Give "possibly noisy" lesions
            ``ignore_flag=1``, so ``PackDetInputs`` puts them in
            ``ignored_instances`` instead of ``gt_instances``: the
            evaluation protocol removes them from the ground truth (set in
            the val / test datasets of the configs). False (the default)
            keeps them as ordinary lesions, as for training.
        **kwargs: Forwarded to :class:`CocoDataset`.
    """

    METAINFO = {
        'classes': ('lesion', ),
        'palette': [(220, 20, 60)],
    }
    converter = 'tools/dataset_converters/deeplesion_to_coco.py'
    converted_names = ('instances_train.json', 'instances_val.json',
                       'instances_test.json')

    def __init__(self, *args, noisy_as_ignored: bool = False,
                 **kwargs) -> None:
        self.noisy_as_ignored = noisy_as_ignored
        super().__init__(*args, **kwargs)

    def _kept_annotations(self, img_info: dict, ann_info: List[dict]
                          ) -> List[dict]:
        """The annotations ``CocoDataset.parse_data_info`` turns into
        instances, in order (its skip rules, repeated here so the extra
        fields can be attached to the right instance)."""
        kept = []
        for ann in ann_info:
            if ann.get('ignore', False):
                continue
            x1, y1, w, h = ann['bbox']
            inter_w = max(0, min(x1 + w, img_info['width']) - max(x1, 0))
            inter_h = max(0, min(y1 + h, img_info['height']) - max(y1, 0))
            if inter_w * inter_h == 0:
                continue
            if ann['area'] <= 0 or w < 1 or h < 1:
                continue
            if ann['category_id'] not in self.cat_ids:
                continue
            kept.append(ann)
        return kept

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        """Parse one image: CocoDataset's fields plus the DeepLesion ones.

        Args:
            raw_data_info (dict): ``raw_img_info`` and ``raw_ann_info`` of
                one image.

        Returns:
            dict: The data info.

        Raises:
            KeyError: The json lacks a field the slice loader needs (it was
                not written by ``deeplesion_to_coco.py``).
        """
        data_info = super().parse_data_info(raw_data_info)
        img_info = raw_data_info['raw_img_info']
        for key in ('key_slice', 'slice_range', 'spacing'):
            if key not in img_info:
                raise KeyError(
                    f'{self.ann_file}: image {img_info.get("file_name")!r} '
                    f'has no {key!r}; convert the data with {self.converter}')
        for key in IMAGE_KEYS:
            if key in img_info:
                data_info[key] = img_info[key]
        kept = self._kept_annotations(img_info, raw_data_info['raw_ann_info'])
        assert len(kept) == len(data_info['instances'])
        for ann, instance in zip(kept, data_info['instances']):
            for key in INSTANCE_KEYS:
                if key in ann:
                    instance[key] = ann[key]
            if self.noisy_as_ignored and ann.get('noisy', 0):
                instance['ignore_flag'] = 1
        return data_info
