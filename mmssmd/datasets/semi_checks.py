"""Checks of the annotation files a (semi-supervised) dataset reads.

mmdet's ``CocoDataset`` reports a missing file as a bare ``FileNotFoundError``,
silently loads a file whose categories do not contain the dataset's classes
(its annotations then fail with ``KeyError: <category id>``, or, without
annotations, nothing fails at all), and accepts a file without images; an
empty source makes ``MultiSourceSampler`` loop forever looking for indices.
These helpers turn each case into an error that names the file, says what is
wrong and how to fix it. :class:`CheckedCocoDataset` calls them.
"""
import os.path as osp
import re
from typing import Any, Dict, Optional, Sequence

# <stem>.<fold>@<percent>[-unlabeled].json, as written by split_semi.py
SPLIT_NAME = re.compile(
    r'^(?P<stem>.+)\.(?P<fold>\d+)@(?P<percent>[\d.]+)'
    r'(?P<unlabeled>-unlabeled)?\.json$')
CONVERTED_NAMES = ('instances_all.json', 'instances_train.json',
                   'instances_val.json', 'instances_test.json')


def how_to_create(ann_file: str,
                  converter: Optional[str] = None,
                  converted_names: Sequence[str] = CONVERTED_NAMES,
                  note: str = '') -> str:
    """The command that writes ``ann_file``, when it is one of ours.

    Args:
        ann_file: An annotation file path.
        converter: The dataset's converter script (e.g.
            ``DSBNucleiDataset.converter``), for the converter's outputs.
        converted_names: File names the converter writes.
        note: Appended to the converter's command.

    Returns:
        A sentence with the command, or ``''`` for other names.
    """
    name = osp.basename(ann_file)
    directory = osp.dirname(ann_file) or '.'
    match = SPLIT_NAME.match(name)
    if match:
        source = osp.join(osp.dirname(directory), match['stem'] + '.json')
        return (' It is written by the split tool: python '
                f'tools/misc/split_semi.py --ann-file {source} --out-dir '
                f"{directory} --percents {match['percent']} --folds "
                f"{match['fold']} (the labeled percent must be one you "
                'split; see the files present in that directory).')
    if converter and name in converted_names:
        root = osp.dirname(directory) or '.'
        return (f' It is written by the converter: python {converter} '
                f'--data-root {root}{note}.')
    return ''


def check_ann_file(ann_file: str, **hint: Any) -> None:
    """Raise a ``FileNotFoundError`` with a hint if ``ann_file`` is missing.

    Args:
        ann_file: A local annotation file path (other backends, e.g.
            ``s3://``, are not checked).
        **hint: ``converter``, ``converted_names``, ``note`` of
            :func:`how_to_create`.

    Raises:
        FileNotFoundError: The file does not exist.
    """
    if '://' in ann_file or osp.isfile(ann_file):
        return
    raise FileNotFoundError(f'annotation file {ann_file} does not exist.' +
                            how_to_create(ann_file, **hint))


def check_categories(coco: Dict[str, Any], classes: Sequence[str],
                     ann_file: str) -> None:
    """Check that a COCO dict's category names are the dataset's classes.

    Labeled and unlabeled splits of one dataset must all carry the
    categories of the file they were split from; a file with other (or no)
    categories is the wrong file.

    Args:
        coco (dict): The loaded COCO json.
        classes (Sequence[str]): The dataset's ``metainfo['classes']``.
        ann_file (str): The file, for the message.

    Raises:
        ValueError: The category names differ from ``classes``.
    """
    cats = coco.get('categories') or []
    names = [c.get('name') for c in cats if isinstance(c, dict)]
    if sorted(map(str, names)) == sorted(classes) and len(names) == len(cats):
        return
    if not cats:
        what = 'has no "categories"'
    else:
        what = f'has categories {names}'
    raise ValueError(
        f'annotation file {ann_file} {what}, but the dataset classes are '
        f'{list(classes)}. Every labeled and unlabeled split must keep the '
        'categories of the file it was split from (tools/misc/split_semi.py '
        'does); is this a file of another dataset?')


def check_not_empty(num_images: int, ann_file: str,
                    filter_cfg: Any = None) -> None:
    """Fail for a dataset without images.

    An empty source cannot train (``MultiSourceSampler`` would search it for
    indices forever) nor be evaluated.

    Args:
        num_images (int): Images left after loading and filtering.
        ann_file (str): The file, for the message.
        filter_cfg (dict, optional): The dataset's filter, for the message.

    Raises:
        ValueError: ``num_images`` is 0.
    """
    if num_images > 0:
        return
    detail = ''
    if filter_cfg:
        detail = (f' after filtering with filter_cfg={dict(filter_cfg)} '
                  '(filter_empty_gt=True drops images without boxes)')
    raise ValueError(
        f'annotation file {ann_file} gives no images{detail}: a labeled, '
        'unlabeled, validation or test set needs at least one image')
